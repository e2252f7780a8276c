using Reimburse.Functions.Kpis;
using Reimburse.Functions.Privacy;
using Reimburse.Functions.Security;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Audit;

/// <summary>Wiring of the audit log, the authorization matrix, rate limiting, PDPO features and KPIs.</summary>
public static class AuditServices
{
    public static IServiceCollection AddAuditAndAccess(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditStorage>();
        services.AddSingleton<AuditIndex>();
        services.AddSingleton<IAuditEntryObserver>(sp => sp.GetRequiredService<AuditIndex>());
        services.AddSingleton<AuditDispatcher>();
        services.AddSingleton<Claims.IClaimCommitListener>(sp => sp.GetRequiredService<AuditDispatcher>());
        services.AddHostedService<AuditDispatchWorker>();
        services.AddSingleton<AccessLog>();
        services.AddSingleton<AccessGuard>();
        services.AddSingleton<IClaimAssignments, ManagementChainAssignments>();
        services.AddSingleton<AuditDigester>();
        services.AddSingleton<AuditVerifier>();
        services.AddSingleton<KpiSource>();
        services.AddSingleton<RetentionJob>();
        services.AddSingleton<ITimerHandler, AuditDigestTimer>();
        services.AddSingleton<AuditIndexReconciler>();
        services.AddSingleton<ITimerHandler>(sp => sp.GetRequiredService<AuditIndexReconciler>());
        services.AddSingleton<ITimerHandler>(sp => sp.GetRequiredService<RetentionJob>());
        services.AddWriteRateLimiting();
        return services;
    }
}
