using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Reimburse.LocalHost;

/// <summary>Serves the published browser app (web/Reimburse.Web's publish/wwwroot, <c>LocalHost:WebRoot</c>) at / next to
/// /api: its files (the .br/.gz twins the publish made when the browser accepts them), index.html for the app's own routes,
/// and a Content-Security-Policy without inline scripts. In Azure the same folder is a Static Web App.</summary>
public static class WebApp
{
    /// <summary>Blazor needs 'wasm-unsafe-eval' to compile its WebAssembly; no inline or evaluated JavaScript.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
        "connect-src 'self'; frame-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The folder to serve, or null when none is configured or it holds no index.html (then / stays the JSON answer).</summary>
    public static string? Root(IConfiguration configuration) =>
        configuration["LocalHost:WebRoot"] is { Length: > 0 } root && File.Exists(Path.Combine(root, "index.html")) ? Path.GetFullPath(root) : null;

    public static void UseWebApp(this WebApplication app, string root)
    {
        var files = new PhysicalFileProvider(root);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".wasm"] = "application/wasm";
        types.Mappings[".dat"] = "application/octet-stream";
        types.Mappings[".blat"] = "application/octet-stream";
        types.Mappings[".json"] = "application/json";
        // The compressed twins: served with the original file's type (set below), never guessed from .br/.gz.
        types.Mappings[".br"] = "application/octet-stream";
        types.Mappings[".gz"] = "application/octet-stream";

        app.Use((context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                return next(context);
            }
            var path = request.Path.Value ?? "/";
            if (path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase) || path.Equals("/api", StringComparison.OrdinalIgnoreCase) || path == "/healthz")
            {
                return next(context);
            }
            // The app's own routes (/claims/new, /inbox …) are index.html; the router in the browser takes it from there.
            if (!files.GetFileInfo(path).Exists)
            {
                if (Path.HasExtension(path))
                {
                    return next(context);
                }
                path = "/index.html";
            }
            // Framework files keep their plain names (see Reimburse.Web.csproj): the browser revalidates each by ETag.
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers["Referrer-Policy"] = "no-referrer";
            var accept = request.Headers.AcceptEncoding.ToString();
            foreach (var (encoding, suffix) in new[] { ("br", ".br"), ("gzip", ".gz") })
            {
                if (accept.Contains(encoding, StringComparison.OrdinalIgnoreCase) && files.GetFileInfo(path + suffix).Exists)
                {
                    if (types.TryGetContentType(path, out var type))
                    {
                        context.Items[ContentTypeKey] = type;
                    }
                    context.Response.Headers.ContentEncoding = encoding;
                    context.Response.Headers.Vary = HeaderNames.AcceptEncoding;
                    path += suffix;
                    break;
                }
            }
            request.Path = path;
            return next(context);
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = types,
            ServeUnknownFileTypes = false,
            OnPrepareResponse = ctx =>
            {
                if (ctx.Context.Items[ContentTypeKey] is string type)
                {
                    ctx.Context.Response.ContentType = type;
                }
            },
        });
    }

    private const string ContentTypeKey = "Reimburse.WebApp.ContentType";
}
