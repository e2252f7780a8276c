using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Reimburse.Core.Exports;

namespace Reimburse.Functions.Exports.Sync;

/// <summary>What posting a claim's bill gave: the remote id, or why not and whether a retry may help.</summary>
public sealed record PostResult(string? RemoteId, string? Error, bool Retryable)
{
    public static PostResult Posted(string id) => new(id, null, false);
    public static PostResult Failed(string error, bool retryable) => new(null, error, retryable);
}

/// <summary>A bill poster for one accounting system.</summary>
public interface IAccountingApi
{
    string Provider { get; }

    /// <summary>Posts the bill and its receipts. <paramref name="idempotencyKey"/> is the same on every attempt for the same
    /// claim, target and export generation, so the vendor answers a retry with the bill it already created.</summary>
    Task<PostResult> PostBillAsync(Bill bill, IReadOnlyList<ExportReceipt> receipts, string idempotencyKey, CancellationToken cancellationToken = default);
}

/// <summary>Sends requests to an accounting API the way both vendors ask: our own pace under their per-minute limit
/// (token bucket), a 429 waits for its Retry-After (a long one — Xero's daily limit — fails the claim for a later retry),
/// a 401 refreshes the token once, 5xx and connection failures are retried with back-off. The request is rebuilt for
/// every attempt and carries the same idempotency key.</summary>
public sealed partial class AccountingHttp(IHttpClientFactory http, AccountingConnections connections, IOptions<AccountingOptions> options, TimeProvider clock, ILogger<AccountingHttp> logger)
{
    private const int MaxAttempts = 8;
    private readonly Dictionary<string, TokenBucketRateLimiter> _limiters = new[] { ExportTargets.Xero, ExportTargets.QuickBooks }.ToDictionary(p => p, p =>
    {
        var perMinute = options.Value.For(p).RequestsPerMinute;
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, perMinute / 6),
            TokensPerPeriod = Math.Max(1, perMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 100_000,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }, StringComparer.Ordinal);

    /// <summary>Sends until a final answer: a success, a 4xx other than 401/429 (the caller reads it), or an exception
    /// with the reason after the retries.</summary>
    public async Task<HttpResponseMessage> SendAsync(string provider, Func<AccessToken, HttpRequestMessage> build, CancellationToken cancellationToken = default)
    {
        var o = options.Value.For(provider);
        var token = await connections.GetAccessTokenAsync(provider, cancellationToken: cancellationToken);
        var refreshed = false;
        for (var attempt = 1; ; attempt++)
        {
            using (var lease = await _limiters[provider].AcquireAsync(1, cancellationToken))
            {
                if (!lease.IsAcquired) throw new HttpRequestException("Local rate limiter queue is full.");
            }
            HttpResponseMessage response;
            try
            {
                using var request = build(token);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                response = await http.CreateClient(AccountingConnections.HttpClientName).SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException ex) when (attempt < MaxAttempts)
            {
                // The connection dropped: the vendor may or may not have the request. The idempotency key makes resending safe.
                LogRetry(logger, provider, attempt, "connection: " + ex.Message);
                await Task.Delay(Backoff(attempt), clock, cancellationToken);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
            {
                response.Dispose();
                refreshed = true;
                token = await connections.GetAccessTokenAsync(provider, forceRefresh: true, rejectedToken: token.Token, cancellationToken: cancellationToken);
                continue;
            }
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var wait = RetryAfter(response) ?? Backoff(attempt);
                var problem = response.Headers.TryGetValues("X-Rate-Limit-Problem", out var p) ? p.First() : "rate";
                response.Dispose();
                if (wait > TimeSpan.FromSeconds(o.MaxRetryAfterSeconds) || attempt >= MaxAttempts * 4)
                {
                    throw new RateLimitedException($"{AccountingConnections.Name(provider)} {problem} limit reached; retry after {wait.TotalMinutes:0} minutes.");
                }
                LogRetry(logger, provider, attempt, $"429 ({problem}), waiting {wait.TotalSeconds:0.#} s");
                await Task.Delay(wait, clock, cancellationToken);
                continue;
            }
            if ((int)response.StatusCode >= 500 && attempt < MaxAttempts)
            {
                LogRetry(logger, provider, attempt, $"{(int)response.StatusCode}");
                response.Dispose();
                await Task.Delay(Backoff(attempt), clock, cancellationToken);
                continue;
            }
            return response;
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, attempt - 1)) * (0.75 + Random.Shared.NextDouble() / 2));

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is { } ra)
        {
            if (ra.Delta is { } d) return d;
            if (ra.Date is { } date) return date - clock.GetUtcNow() is var w && w > TimeSpan.Zero ? w : TimeSpan.Zero;
        }
        if (response.Headers.TryGetValues("Retry-After", out var v) && double.TryParse(v.First(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s)) return TimeSpan.FromSeconds(s);
        return null;
    }

    [LoggerMessage(EventId = 1420, Level = LogLevel.Information, Message = "{Provider} attempt {Attempt} will be retried: {Reason}")]
    private static partial void LogRetry(ILogger logger, string provider, int attempt, string reason);
}

/// <summary>The vendor's limit for a long time (Xero's daily limit): fail the claim now, retry the batch later.</summary>
public sealed class RateLimitedException(string message) : Exception(message);
