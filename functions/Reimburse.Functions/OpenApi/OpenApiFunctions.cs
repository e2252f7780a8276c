using Microsoft.Azure.Functions.Worker;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.OpenApi;

/// <summary>The OpenAPI document and the reference page for people, through the shared API pipeline.</summary>
public sealed class OpenApiFunctions(ApiPipeline api)
{
    [Function("OpenApiDocument")]
    public Task<IResult> Document([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest req) =>
        api.RunAsync(req, "OpenApiDocument");

    [Function("ApiReference")]
    public Task<IResult> Reference([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reference")] HttpRequest req) =>
        api.RunAsync(req, "ApiReference");

    [Function("ApiReferenceScript")]
    public Task<IResult> ReferenceScript([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reference/scalar.js")] HttpRequest req) =>
        api.RunAsync(req, "ApiReferenceScript");
}
