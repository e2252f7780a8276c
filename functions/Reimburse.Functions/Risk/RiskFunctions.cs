using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Risk;

/// <summary>Risk model administration and the weekly retraining.</summary>
public sealed class RiskFunctions(ApiPipeline api, TriggerDispatch triggers)
{
    [Function("GetRiskModel")]
    public Task<IResult> GetRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/risk-model")] HttpRequest req) =>
        api.RunAsync(req, "GetRiskModel");

    [Function("TrainRiskModel")]
    public Task<IResult> TrainRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/risk-model/train")] HttpRequest req) =>
        api.RunAsync(req, "TrainRiskModel");

    [Function("RollbackRiskModel")]
    public Task<IResult> RollbackRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/risk-model/rollback")] HttpRequest req) =>
        api.RunAsync(req, "RollbackRiskModel");

    [Function("TrainLearnedRiskModel")]
    public Task<IResult> TrainLearnedRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/risk-model/learned/train")] HttpRequest req) =>
        api.RunAsync(req, "TrainLearnedRiskModel");

    [Function("ActivateLearnedRiskModel")]
    public Task<IResult> ActivateLearnedRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/risk-model/learned/activate")] HttpRequest req) =>
        api.RunAsync(req, "ActivateLearnedRiskModel");

    [Function("RollbackLearnedRiskModel")]
    public Task<IResult> RollbackLearnedRiskModel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/risk-model/learned/rollback")] HttpRequest req) =>
        api.RunAsync(req, "RollbackLearnedRiskModel");

    /// <summary>Sundays at 03:00 UTC.</summary>
    [Function("RiskModelTraining")]
    public Task RiskModelTraining([TimerTrigger("0 0 3 * * 0")] TimerInfo timer, CancellationToken cancellationToken) =>
        triggers.TimerAsync("RiskModelTraining", timer, cancellationToken);
}
