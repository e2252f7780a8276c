using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;
using Reimburse.LocalHost.Durable;

namespace Reimburse.LocalHost;

/// <summary>Wires LocalHost: host.json into configuration, the functions from functions.metadata, one listener per
/// queue, blob and timer trigger, and Durable Task.</summary>
public static class FunctionsHost
{
    public static IReadOnlyList<FunctionDescriptor> AddFunctionsHost(this WebApplicationBuilder builder)
    {
        var baseDir = AppContext.BaseDirectory;
        var hostJson = builder.Configuration["LocalHost:HostJson"] ?? Path.Combine(baseDir, "host.json");
        builder.Configuration.AddHostJson(hostJson);
        var metadataPath = builder.Configuration["LocalHost:FunctionsMetadata"] ?? Path.Combine(baseDir, FunctionMetadata.FileName);
        var functions = FunctionMetadata.Load(metadataPath);
        foreach (var f in functions)
        {
            FunctionInvoker.Validate(f);
        }

        var services = builder.Services;
        var options = builder.Configuration.GetSection(LocalHostOptions.Section).Get<LocalHostOptions>() ?? new LocalHostOptions();
        services.AddOptions<LocalHostOptions>().BindConfiguration(LocalHostOptions.Section);
        services.AddOptions<QueuesOptions>().BindConfiguration(QueuesOptions.Section);
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<TriggerStorage>();
        foreach (var f in functions)
        {
            services.AddSingleton(f);
        }

        var connection = options.ConnectionString ?? builder.Configuration["AzureWebJobsStorage"] ?? builder.Configuration["Reimburse:Storage:ConnectionString"]
            ?? throw new InvalidOperationException("Set AzureWebJobsStorage (or LocalHost:ConnectionString).");
        var prefix = options.ResourcePrefix ?? builder.Configuration["Reimburse:Storage:ResourcePrefix"] ?? "";
        services.AddDurableHosting(builder.Configuration, options, connection, prefix);

        if (options.Triggers)
        {
            foreach (var f in functions)
            {
                switch (f.Kind)
                {
                    case TriggerKind.Queue:
                        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueueTriggerListener>(sp, f, (object?)sp.GetService<QueueNudger>()!));
                        break;
                    case TriggerKind.Blob:
                        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<BlobTriggerWatcher>(sp, f));
                        break;
                    case TriggerKind.Timer:
                        services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<TimerTriggerScheduler>(sp, f));
                        break;
                }
            }
        }
        return functions;
    }

    public static void MapFunctions(this WebApplication app, IReadOnlyList<FunctionDescriptor> functions)
    {
        // The API pipeline inside each HTTP function authenticates and authorizes: WebApplication must not add its own
        // authentication/authorization middleware (it would run them a second time, before the principal header guard).
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        ((IApplicationBuilder)app).Properties["__AuthorizationMiddlewareSet"] = true;
        // The browser app at / when its published folder is configured (./run.sh, the browser tests); else / answers JSON.
        var webRoot = WebApp.Root(app.Configuration);
        if (webRoot is not null)
        {
            app.UseWebApp(webRoot);
        }
        app.UseRouting();
        app.UseUnmatchedThroughApiPipeline();
        if (webRoot is null)
        {
            app.MapGet("/", () => TypedResults.Ok(new { service = "reimburse", status = "ok" })).WithMetadata(new HttpTriggers.LocalEndpoint());
        }
        app.MapGet("/healthz", (StartupInitializer.State state) => state.Ready
            ? Results.Ok(new { status = "ready" })
            : Results.Json(new { status = "starting", state.LastError }, statusCode: 503)).WithMetadata(new HttpTriggers.LocalEndpoint());
        app.MapHttpTriggers(functions);
    }
}
