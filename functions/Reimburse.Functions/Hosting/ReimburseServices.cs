using Microsoft.AspNetCore.Authentication;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Inbox;
using Reimburse.Functions.Risk;
using Reimburse.Functions.Receipts;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Hosting;

/// <summary>Wiring: options validated at start, storage, identity, claim intake, triggers.</summary>
public static class ReimburseServices
{
    public static WebApplicationBuilder AddReimburse(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;

        if (HostingMode.FunctionsHostPort(config) is { } port)
        {
            // The Functions host talks to us on loopback only, at the port it chose.
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            config["Reimburse:Standalone:Enabled"] = "false";
        }
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = SubmitClaim.MaxRequestBytes);

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString) || !string.IsNullOrWhiteSpace(o.AccountName),
                $"Set {StorageOptions.Section}:ConnectionString (e.g. UseDevelopmentStorage=true) or {StorageOptions.Section}:AccountName for managed identity.")
            .ValidateOnStart();
        services.AddOptions<IdentityOptions>().BindConfiguration(IdentityOptions.Section).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.DevTokenKey) || IsBase64OfAtLeast(o.DevTokenKey, 32), $"{IdentityOptions.Section}:DevTokenKey must be Base64 of at least 32 bytes.")
            .ValidateOnStart();
        services.AddOptions<CompanyOptions>().BindConfiguration(CompanyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddOptions<StandaloneOptions>().BindConfiguration(StandaloneOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddReimburseStorage();
        // Group commit of derived rows (audit query index, pending-approvals index) across concurrent dispatches.
        services.AddSingleton(_ => new TableUpsertBatcher());
        services.AddSingleton<CompanyProvider>();
        services.AddSingleton<DemoSeeder>();
        services.AddSingleton<DevTokenService>();
        services.AddSingleton<ClaimStore>();
        services.AddSingleton<ClaimIndex>();
        services.AddSingleton<ReceiptStore>();
        services.AddSingleton<ReceiptDropProcessor>();
        services.AddSingleton<QueueNudger>();

        services.AddSingleton<IQueueHandler, ReceiptDroppedHandler>();
        services.AddSingleton<ITimerHandler, InboxSweepTimer>();
        services.AddReceiptUnderstanding();
        services.AddRiskPipeline();
        services.AddSingleton<DemoHistorySeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoHistorySeeder>());
        services.AddNotifications();
        services.AddWorkflowRuntime();
        services.AddAuditAndAccess();
        services.AddSingleton<Security.IClaimAssignments, Approvals.WorkflowAssignments>();

        services.AddSingleton<StartupInitializer.State>();
        services.AddSingleton<StartupInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StartupInitializer>());
        if (config.GetValue("Reimburse:Standalone:Enabled", true))
        {
            services.AddHostedService<StandaloneTriggerHost>();
        }

        services.AddAuthentication(ReimburseAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ReimburseAuthenticationHandler>(ReimburseAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        return builder;
    }

    public static WebApplication UseReimburse(this WebApplication app)
    {
        app.UseReimburseExceptionHandler();
        app.UseStatusCodePages();
        app.UsePrincipalHeaderGuard();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapGet("/", () => TypedResults.Ok(new { service = "reimburse", status = "ok" })).ExcludeFromDescription();
        app.MapGet("/healthz", (StartupInitializer.State state) => state.Ready
            ? Results.Ok(new { status = "ready" })
            : Results.Json(new { status = "starting", state.LastError }, statusCode: 503)).ExcludeFromDescription();
        if (app.Environment.IsDevelopment())
        {
            app.MapDevTokens();
            // Benchmarks read the process's own view of its storage traffic and memory.
            app.MapGet("/api/dev/diagnostics", (ReimburseStorage storage) =>
            {
                using var process = System.Diagnostics.Process.GetCurrentProcess();
                return TypedResults.Ok(new
                {
                    storageRequests = storage.Counter.Count,
                    workingSetBytes = process.WorkingSet64,
                    peakWorkingSetBytes = process.PeakWorkingSet64,
                    gcHeapBytes = GC.GetTotalMemory(false),
                });
            }).WithTags("development").ExcludeFromDescription();
        }

        var claims = app.MapGroup("/api/claims").RequireAuthorization();
        claims.MapSubmitClaim();
        claims.MapReadClaims();
        claims.MapSubmitDraft();
        app.MapRiskEndpoints();
        app.MapNotificationEndpoints();
        app.MapWorkflowEndpoints();
        app.UseAuditAndAccess();

        if (HostingMode.UnderFunctionsHost(app.Configuration))
        {
            app.MapInvocationEndpoints(app.Services.GetServices<IQueueHandler>(), app.Services.GetServices<ITimerHandler>());
        }
        return app;
    }

    private static bool IsBase64OfAtLeast(string s, int bytes)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out var n) && n >= bytes;
    }
}
