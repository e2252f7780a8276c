using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Inbox;
using Reimburse.Functions.Kpis;
using Reimburse.Functions.Privacy;
using Reimburse.Functions.Risk;
using Reimburse.Functions.Receipts;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Triggers;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Hosting;

/// <summary>Wiring: options validated at start, storage, identity, claim intake, triggers.</summary>
public static class ReimburseServices
{
    /// <summary>Registers the whole app. Both hosts call this: the worker's Program.cs and Reimburse.LocalHost.</summary>
    public static IServiceCollection AddReimburse(this IServiceCollection services, IConfiguration config, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = SubmitClaim.MaxRequestBytes);
        // Middleware of the API pipeline needs these; a web host registers them too (TryAdd keeps its own).
        services.TryAddSingleton(new System.Diagnostics.DiagnosticListener("Microsoft.AspNetCore"));
        services.TryAddSingleton<System.Diagnostics.DiagnosticSource>(sp => sp.GetRequiredService<System.Diagnostics.DiagnosticListener>());

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
        services.AddReimburseTelemetry(config);
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
        services.AddSingleton<Triggers.MalformedMessages>();
        services.AddSingleton<QueueNudger>();
        services.AddSingleton<ApiPipeline>();
        services.AddSingleton<TriggerDispatch>();

        services.AddReceiptUnderstanding();
        services.AddRiskPipeline();
        services.AddSingleton<DemoHistorySeeder>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoHistorySeeder>());
        services.AddNotifications();
        Events.WebhookEndpoints.AddClaimEvents(services);
        services.AddWorkflowRuntime();
        services.AddAuditAndAccess();
        services.AddSingleton<Security.IClaimAssignments, Approvals.WorkflowAssignments>();
        services.AddExports();

        services.AddSingleton<StartupInitializer.State>();
        services.AddSingleton<StartupInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<StartupInitializer>());

        services.AddAuthentication(ReimburseAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ReimburseAuthenticationHandler>(ReimburseAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddProblemDetails();
        services.AddAntiforgery(o => o.HeaderName = Claims.ClaimForm.TokenHeader);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        return services;
    }

    /// <summary>Declares every API endpoint (handler, auth policy, rate limit) for <see cref="ApiPipeline"/>; the
    /// functions bind routes to them by endpoint name.</summary>
    internal static IEndpointRouteBuilder MapReimburseApi(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment())
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
            }).WithName("DevDiagnostics").WithTags("development").ExcludeFromDescription();
        }

        var claims = app.MapGroup("/api/claims").RequireAuthorization();
        claims.MapSubmitClaim();
        claims.MapReadClaims();
        claims.MapSubmitDraft();
        app.MapGet("/api/forms/token", ClaimForm.Token).RequireAuthorization().WithName("FormToken");
        app.MapRiskEndpoints();
        app.MapNotificationEndpoints();
        app.MapWorkflowEndpoints();
        app.MapAuditApi();
        app.MapKpis();
        app.MapPics();
        app.MapMyDataExport();
        OpenApi.OpenApiEndpoints.MapOpenApiEndpoints(app);
        Events.WebhookEndpoints.MapWebhookEndpoints(app);
        app.MapExports();
        return app;
    }

    private static bool IsBase64OfAtLeast(string s, int bytes)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out var n) && n >= bytes;
    }
}
