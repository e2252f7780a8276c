using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Security;

/// <summary>Per-user write limits.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Reimburse:RateLimit";

    /// <summary>Writes one user may make per window. Generous: it stops scripts and runaway clients, not people.</summary>
    [Range(1, 1_000_000)]
    public int WritesPerWindow { get; set; } = 600;

    [Range(1, 3600)]
    public int WindowSeconds { get; set; } = 60;
}

/// <summary>The "writes" rate-limit policy: a fixed window per signed-in user (per address for anonymous callers), 429
/// ProblemDetails with Retry-After when exceeded.</summary>
public static class WriteRateLimiting
{
    public const string PolicyName = "writes";

    public static IServiceCollection AddWriteRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(PolicyName, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                var user = context.User.FindFirst("sub")?.Value;
                var key = user is not null ? "user:" + user : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.WritesPerWindow,
                    Window = TimeSpan.FromSeconds(options.WindowSeconds),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var ra) ? ra : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.Write(context.HttpContext, StatusCodes.Status429TooManyRequests, Problems.RateLimited, "Too many requests",
                    $"You have made too many changes in a short time. Retry in {seconds} s.");
            };
        });
        return services;
    }
}
