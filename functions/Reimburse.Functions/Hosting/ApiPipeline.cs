using System.Collections.Frozen;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;
using Reimburse.Functions.Identity;

namespace Reimburse.Functions.Hosting;

/// <summary>What every HTTP function shares, in one middleware pipeline: exceptions as ProblemDetails, status code pages,
/// the principal header guard, authentication, authorization, per-user rate limits. A function runs it for its own
/// <see cref="HttpContext"/>, with the feature's endpoint (as its Map* method declares it: handler, auth policy, rate
/// limit) at the end, so both hosts answer byte for byte as the API did before it became functions.</summary>
public sealed class ApiPipeline
{
    private readonly IServiceProvider _services;
    private readonly FrozenDictionary<string, RouteEndpoint> _endpoints;
    private readonly RequestDelegate _pipeline;

    public ApiPipeline(IServiceProvider services)
    {
        _services = services;
        var catalog = new EndpointCatalog(services);
        catalog.MapReimburseApi();
        _endpoints = catalog.DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IEndpointNameMetadata>() is not null)
            .ToFrozenDictionary(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName, StringComparer.Ordinal);

        var app = new ApplicationBuilder(services);
        app.UseReimburseExceptionHandler();
        app.UseStatusCodePages();
        app.UseStrictRequestText();
        app.UsePrincipalHeaderGuard();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.Run(context => context.GetEndpoint()?.RequestDelegate is { } handler ? handler(context) : NotFound(context));
        _pipeline = app.Build();
    }

    /// <summary>Names of the endpoints this environment serves (development-only ones only in Development).</summary>
    public IReadOnlyCollection<string> EndpointNames => _endpoints.Keys;

    /// <summary>Runs the named endpoint for this request, with route values bound by the host, and writes the response
    /// to <c>request.HttpContext.Response</c>. An endpoint this environment does not serve answers 404.</summary>
    public async Task<IResult> RunAsync(HttpRequest request, string endpointName, params (string Name, string? Value)[] routeValues)
    {
        var context = request.HttpContext;
        foreach (var (name, value) in routeValues)
        {
            context.Request.RouteValues[name] = value;
        }
        await RunAsync(context, _endpoints.GetValueOrDefault(endpointName));
        return Results.Empty;
    }

    /// <summary>Runs the shared pipeline for any endpoint: an API endpoint, a routing answer such as 405, or none (404).</summary>
    public async Task RunAsync(HttpContext context, Endpoint? endpoint)
    {
        context.SetEndpoint(endpoint);
        if (endpoint?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { } limit
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit.MaxRequestBodySize;
        }
        if (endpoint is not null && !AcceptsContentType(endpoint, context.Request))
        {
            // What routing's content-type policy answered before the API became functions.
            context.SetEndpoint(null);
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        }

        // One DI scope per request, from the app's own container, whichever host owns the HttpContext.
        var outer = context.RequestServices;
        await using var scope = _services.CreateAsyncScope();
        context.RequestServices = scope.ServiceProvider;
        try
        {
            await _pipeline(context);
        }
        finally
        {
            context.RequestServices = outer;
        }
    }

    private static Task NotFound(HttpContext context)
    {
        if (context.Response.StatusCode == StatusCodes.Status200OK)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        return Task.CompletedTask;
    }

    private static bool AcceptsContentType(Endpoint endpoint, HttpRequest request)
    {
        if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not { ContentTypes.Count: > 0 } accepts
            || string.IsNullOrEmpty(request.ContentType)
            || !MediaTypeHeaderValue.TryParse(request.ContentType, out var requested))
        {
            return true;
        }
        return accepts.ContentTypes.Any(t => MediaTypeHeaderValue.TryParse(t, out var allowed) && requested.IsSubsetOf(allowed));
    }

    /// <summary>Collects the API's endpoints from the features' Map* methods without a router.</summary>
    private sealed class EndpointCatalog(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;
        public ICollection<EndpointDataSource> DataSources { get; } = [];
        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
