using Reimburse.Functions.Approvals;
using Reimburse.Functions.Claims;

// In the Hosting namespace so ReimburseServices needs one call line each and no using.
namespace Reimburse.Functions.Hosting;

/// <summary>Wiring of the approval workflow: the orchestrations' activities and what they use, and the HTTP API. The
/// orchestrations themselves run on the Durable Task engine of the host.</summary>
public static class WorkflowRuntime
{
    public static IServiceCollection AddWorkflowRuntime(this IServiceCollection services)
    {
        services.AddOptions<WorkflowOptions>().BindConfiguration(WorkflowOptions.Section).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.LinkKey) || IsBase64OfAtLeast(o.LinkKey, 32), $"{WorkflowOptions.Section}:LinkKey must be Base64 of at least 32 bytes.")
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), $"{WorkflowOptions.Section}:PublicBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        services.AddSingleton<WorkflowClock>();
        services.AddSingleton<DelegationStore>();
        services.AddOptions<Reimburse.Functions.Notifications.TwilioOptions>().BindConfiguration(Reimburse.Functions.Notifications.TwilioOptions.Section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Reimburse.Functions.Notifications.TwilioOptions>, Reimburse.Functions.Notifications.TwilioOptionsValidator>();
        services.AddSingleton<Reimburse.Functions.Notifications.TwilioGateway>();
        services.AddSingleton<ReachDelivery>();
        services.AddSingleton<PolicyProvider>();
        services.AddSingleton<ApprovalLinks>();
        services.AddSingleton<ApprovalIndex>();
        services.AddSingleton<ApprovalCommands>();
        services.AddSingleton<WorkflowNotifications>();
        services.AddSingleton<WorkflowActivities>();
        services.AddSingleton<ClaimIntake>();
        services.AddSingleton<ClaimOrchestration>();
        services.AddSingleton<ApprovalOrchestration>();
        return services;
    }

    public static IEndpointRouteBuilder MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapApprovalEndpoints();
        app.MapDelegationEndpoints();
        app.MapReachEndpoints();
        return app;
    }

    private static bool IsBase64OfAtLeast(string s, int bytes)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out var n) && n >= bytes;
    }
}
