using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Identity;

/// <summary>Development-only endpoints (tokens, process diagnostics); they answer 404 outside Development.</summary>
public sealed class DevFunctions(ApiPipeline api)
{
    [Function("DevToken")]
    public Task<IResult> DevToken([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "dev/tokens")] HttpRequest req) =>
        api.RunAsync(req, "DevToken");

    [Function("DevDiagnostics")]
    public Task<IResult> DevDiagnostics([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dev/diagnostics")] HttpRequest req) =>
        api.RunAsync(req, "DevDiagnostics");
}
