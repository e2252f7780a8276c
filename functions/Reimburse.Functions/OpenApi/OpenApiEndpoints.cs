namespace Reimburse.Functions.OpenApi;

/// <summary>GET /api/openapi.json (built once from the code), GET /api/reference (Scalar's page, served from the app's
/// own files: no CDN) and its script.</summary>
public static class OpenApiEndpoints
{
    /// <summary>Where the build copies @scalar/api-reference's standalone bundle (npm, pinned in package.json).</summary>
    public static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "api-reference", "standalone.js");

    private static readonly Lazy<Task<string>> Json = new(() => OpenApiDocumentBuilder.ToJsonAsync(OpenApiDocumentBuilder.Build()));

    public static IEndpointRouteBuilder MapOpenApiEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/openapi.json", async () => TypedResults.Text(await Json.Value, "application/json; charset=utf-8"))
            .AllowAnonymous().WithName("OpenApiDocument");
        app.MapGet("/api/reference", () => TypedResults.Content(Page, "text/html; charset=utf-8")).AllowAnonymous().WithName("ApiReference");
        app.MapGet("/api/reference/scalar.js", (HttpContext http) =>
        {
            if (!File.Exists(ScriptPath))
            {
                return Hosting.Problems.Problem(404, Hosting.Problems.NotFound, "Not installed", "The reference page's script was not built in (run npm ci, then build).");
            }
            http.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.File(ScriptPath, "text/javascript; charset=utf-8");
        }).AllowAnonymous().WithName("ApiReferenceScript");
        return app;
    }

    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Reimburse API reference · API 參考</title>
        </head>
        <body>
          <noscript>This page needs JavaScript. The document itself is at <a href="/api/openapi.json">/api/openapi.json</a>. 本頁需要 JavaScript。</noscript>
          <script id="api-reference" data-url="/api/openapi.json"></script>
          <script src="/api/reference/scalar.js"></script>
        </body>
        </html>
        """;
}
