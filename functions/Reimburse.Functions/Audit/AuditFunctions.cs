using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Audit;

/// <summary>Audit queries, verification and export; the daily digest, the index sweep and the retention sweep.</summary>
public sealed class AuditFunctions(ApiPipeline api, TriggerDispatch triggers)
{
    [Function("AuditQuery")]
    public Task<IResult> AuditQuery([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest req) =>
        api.RunAsync(req, "AuditQuery");

    [Function("AuditVerify")]
    public Task<IResult> AuditVerify([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit/verify")] HttpRequest req) =>
        api.RunAsync(req, "AuditVerify");

    [Function("AuditExport")]
    public Task<IResult> AuditExport([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit/export.csv")] HttpRequest req) =>
        api.RunAsync(req, "AuditExport");

    /// <summary>Daily at 00:10 UTC.</summary>
    [Function("AuditDigest")]
    public Task AuditDigest([TimerTrigger("0 10 0 * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        triggers.TimerAsync("AuditDigest", timer, cancellationToken);

    /// <summary>Every minute.</summary>
    [Function("AuditIndexSweep")]
    public Task AuditIndexSweep([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        triggers.TimerAsync("AuditIndexSweep", timer, cancellationToken);

    /// <summary>Daily at 03:30 Hong Kong time.</summary>
    [Function("RetentionSweep")]
    public Task RetentionSweep([TimerTrigger("0 30 19 * * *")] TimerInfo timer, CancellationToken cancellationToken) =>
        triggers.TimerAsync("RetentionSweep", timer, cancellationToken);

    [Function("GetKpis")]
    public Task<IResult> GetKpis([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "kpis")] HttpRequest req) =>
        api.RunAsync(req, "GetKpis");

    [Function("GetPics")]
    public Task<IResult> GetPics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "meta/pics")] HttpRequest req) =>
        api.RunAsync(req, "GetPics");

    [Function("ExportMyData")]
    public Task<IResult> ExportMyData([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/export")] HttpRequest req) =>
        api.RunAsync(req, "ExportMyData");
}
