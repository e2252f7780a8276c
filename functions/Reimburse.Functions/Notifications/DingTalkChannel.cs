using Reimburse.Functions.Hosting.Storage;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Notifications;

/// <summary>DingTalk custom robot (azure-contracts.md §6): signed POST {Url}/robot/send, markdown or actionCard body,
/// non-zero errcode is a failure. Sends pass through a per-robot limiter so the robot never exceeds MaxPerMinute.</summary>
public sealed class DingTalkChannel(
    IOptions<NotificationOptions> options,
    NotificationHttp http,
    IDingTalkRateLimiter limiter,
    TimeProvider clock) : INotificationChannel
{
    public const string ChannelName = "dingtalk";
    private readonly DingTalkOptions _o = options.Value.DingTalk;

    public string Name => ChannelName;
    public bool IsConfigured => _o.Enabled;

    public async Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        var wait = await limiter.ReserveAsync(_o.AccessToken!, _o.MaxPerMinute, clock.GetUtcNow(), cancellationToken);
        if (wait > TimeSpan.Zero)
        {
            // Waiting here (the queue message stays hidden meanwhile) beats tripping DingTalk's 10-minute throttle.
            await Task.Delay(wait, clock, cancellationToken);
        }
        var timestamp = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var url = new Uri($"{_o.Url.TrimEnd('/')}/robot/send?access_token={Uri.EscapeDataString(_o.AccessToken!)}&timestamp={timestamp}&sign={Sign(_o.Secret!, timestamp)}");
        var body = Body(delivery.Message);

        using var response = await http.PostAsync(url, JsonContent.Create(body), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new NotificationChannelException($"DingTalk answered HTTP {(int)response.StatusCode}.");
        }
        int errcode;
        string? errmsg;
        try
        {
            using var doc = JsonDocument.Parse(text);
            errcode = doc.RootElement.GetProperty("errcode").GetInt32();
            errmsg = doc.RootElement.TryGetProperty("errmsg", out var m) ? m.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new NotificationChannelException("DingTalk answered without an errcode.", ex);
        }
        if (errcode != 0)
        {
            throw new NotificationChannelException($"DingTalk errcode {errcode}: {errmsg}");
        }
    }

    /// <summary>URL-encoded Base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret)).</summary>
    public static string Sign(string secret, long timestampMs)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestampMs}\n{secret}"));
        return Uri.EscapeDataString(Convert.ToBase64String(mac));
    }

    /// <summary>One link → actionCard with a single button; several (approve/reject) → markdown listing them; none → markdown.</summary>
    public static object Body(RenderedMessage m) => m.Links.Count == 1
        ? new { msgtype = "actionCard", actionCard = new { title = m.Subject, text = m.Markdown, singleTitle = m.Links[0].Label, singleURL = m.Links[0].Url } }
        : m.Links.Count > 1
            ? new { msgtype = "actionCard", actionCard = new { title = m.Subject, text = m.Markdown, btnOrientation = "1", btns = m.Links.Select(l => new { title = l.Label, actionURL = l.Url }).ToArray() } }
            : new { msgtype = "markdown", markdown = new { title = m.Subject, text = m.Markdown } };
}

/// <summary>Hands out DingTalk send times so no minute holds more than a robot's limit.</summary>
public interface IDingTalkRateLimiter
{
    /// <summary>Reserves the earliest allowed send time at or after now; returns how long to wait for it.</summary>
    Task<TimeSpan> ReserveAsync(string robot, int maxPerWindow, DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>Per-robot sliding-window limiter in this process: hands out send times so no window of a minute (plus a
/// second of slack for clock skew) holds more than the limit.</summary>
public sealed class DingTalkRateLimiter : IDingTalkRateLimiter
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(61);
    private readonly Dictionary<string, List<DateTimeOffset>> _sent = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Task<TimeSpan> ReserveAsync(string robot, int maxPerWindow, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        Task.FromResult(Reserve(robot, maxPerWindow, now));

    public TimeSpan Reserve(string robot, int maxPerWindow, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_sent.TryGetValue(robot, out var times))
            {
                _sent[robot] = times = [];
            }
            return ReserveIn(times, maxPerWindow, now);
        }
    }

    /// <summary>The window rule on a sorted list of reserved times (pruned and extended in place).</summary>
    public static TimeSpan ReserveIn(List<DateTimeOffset> times, int maxPerWindow, DateTimeOffset now)
    {
        times.RemoveAll(t => t <= now - Window);
        var at = now;
        if (times.Count >= maxPerWindow)
        {
            var free = times[^maxPerWindow] + Window;
            at = free > at ? free : at;
        }
        var index = times.FindIndex(t => t > at);
        times.Insert(index < 0 ? times.Count : index, at);
        return at - now;
    }
}

/// <summary>The same window rule kept in the notifications table (one row per robot, updated with ETags), so several
/// instances sharing a robot share its budget. Instance clocks are assumed to agree within the window's second of slack.</summary>
public sealed class StorageDingTalkRateLimiter(NotificationStore store) : IDingTalkRateLimiter
{
    public const string Partition = "ratelimit";

    public async Task<TimeSpan> ReserveAsync(string robot, int maxPerWindow, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var row = NotificationStore.PartitionOf("dingtalk:" + robot);
        for (var attempt = 1; ; attempt++)
        {
            var current = await store.WithTableAsync(() => store.Table.GetEntityOrDefaultAsync(Partition, row, cancellationToken: cancellationToken), cancellationToken);
            var times = (current?.GetString("Slots") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(ms => DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, System.Globalization.CultureInfo.InvariantCulture))).Order().ToList();
            var wait = DingTalkRateLimiter.ReserveIn(times, maxPerWindow, now);
            var entity = new Azure.Data.Tables.TableEntity(Partition, row) { ["Slots"] = string.Join(",", times.Select(t => t.ToUnixTimeMilliseconds())) };
            try
            {
                if (current is null) await store.Table.AddEntityAsync(entity, cancellationToken);
                else await store.Table.UpdateEntityAsync(entity, current.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);
                return wait;
            }
            catch (Azure.RequestFailedException ex) when (ex.Status is 409 or 412 && attempt < 50)
            {
                // Another sender reserved first: read its reservation and try again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * Math.Min(attempt, 8))), cancellationToken);
            }
        }
    }
}

/// <summary>The HTTP client every HTTP channel uses: SSRF rules enforced at connect time, no redirects, no proxy.</summary>
public sealed class NotificationHttp : IDisposable
{
    private readonly HttpClient _client;

    public NotificationHttp(SsrfGuard guard)
    {
        Guard = guard;
        _client = new HttpClient(guard.CreateHandler()) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public SsrfGuard Guard { get; }

    public async Task<HttpResponseMessage> PostAsync(Uri url, HttpContent content, CancellationToken cancellationToken = default, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        await Guard.ValidateAsync(url, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        foreach (var (k, v) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is UnsafeTargetException unsafeTarget)
        {
            throw unsafeTarget;
        }
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            response.Dispose();
            throw new UnsafeTargetException($"The target answered a redirect ({(int)response.StatusCode}); redirects are not followed.");
        }
        return response;
    }

    public void Dispose() => _client.Dispose();
}
