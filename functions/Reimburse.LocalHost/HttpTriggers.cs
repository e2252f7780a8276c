using Microsoft.AspNetCore.Routing.Patterns;
using Reimburse.Functions.Hosting;

namespace Reimburse.LocalHost;

/// <summary>HTTP triggers as ASP.NET Core routes under /{routePrefix}/{route} with their methods.</summary>
public static class HttpTriggers
{
    /// <summary>Marks an endpoint that invokes a function.</summary>
    public sealed record FunctionEndpoint(string Name);

    public static void MapHttpTriggers(this WebApplication app, IEnumerable<FunctionDescriptor> functions)
    {
        var prefix = app.Configuration["AzureFunctionsJobHost:extensions:http:routePrefix"] ?? "api";
        foreach (var f in functions.Where(f => f.Kind == TriggerKind.Http))
        {
            var route = "/" + string.Join('/', new[] { prefix, f.Route ?? f.Name }.Where(s => s.Length > 0));
            RequestDelegate invoke = async context => await context.RequestServices.GetRequiredService<FunctionInvoker>().InvokeAsync(f,
                new Invocation(context.Request, context.Request.RouteValues.ToDictionary(v => v.Key, v => v.Value?.ToString()), context, context.RequestAborted));
            app.MapMethods(route, f.Methods, invoke)
                .WithMetadata(new FunctionEndpoint(f.Name)).WithDisplayName(f.Name);
        }
    }

    /// <summary>Requests no function serves (404, or 405 for a known route) get the same answer as under the API
    /// pipeline: ProblemDetails through the app's status code pages.</summary>
    public static void UseUnmatchedThroughApiPipeline(this WebApplication app) =>
        app.Use(next => context =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<FunctionEndpoint>() is not null || endpoint?.Metadata.GetMetadata<LocalEndpoint>() is not null)
            {
                return next(context);
            }
            return context.RequestServices.GetRequiredService<ApiPipeline>().RunAsync(context, endpoint);
        });

    /// <summary>Marks LocalHost's own endpoints (/healthz).</summary>
    public sealed record LocalEndpoint;
}
