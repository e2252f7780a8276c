using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FsCheck;

namespace Reimburse.Testing.Fuzz;

/// <summary>A case that broke a property, with what replays it: <c>REIMBURSE_FUZZ_SEED=seed</c> and the case index.</summary>
public sealed record FuzzFailure(ulong Seed, int Index, FuzzCase Case, int Status, string Why)
{
    public override string ToString() => $"seed {Seed} case {Index}: {Why} (HTTP {Status})\n    {Case}";
}

/// <summary>Figures of a run: requests, status histogram, time, failures.</summary>
public sealed class FuzzReport
{
    public ulong Seed { get; init; }
    public int Requests { get; set; }
    public SortedDictionary<int, int> Statuses { get; } = [];
    public SortedDictionary<string, int> Kinds { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, int> Endpoints { get; } = new(StringComparer.Ordinal);
    public int ServerLevelRefusals { get; set; }
    public int StateChecks { get; set; }
    public List<FuzzFailure> Failures { get; } = [];
    public TimeSpan Elapsed { get; set; }
    public TimeSpan InSnapshots { get; set; }
    public TimeSpan InGeneration { get; set; }
    public List<(double Seconds, string Case)> Slowest { get; } = [];

    public string Summary() =>
        $"fuzz: {Requests} requests in {Elapsed.TotalSeconds:F1} s ({Requests / Math.Max(Elapsed.TotalSeconds, 0.001):F0}/s), seed {Seed}, " +
        $"{Failures.Count} failures, {StateChecks} refused requests checked for state changes ({InSnapshots.TotalSeconds:F1} s counting storage, {InGeneration.TotalSeconds:F1} s generating), " +
        $"{ServerLevelRefusals} refused by Kestrel before the app\n" +
        $"  status: {string.Join("  ", Statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}\n" +
        $"  bodies: {string.Join("  ", Kinds.Select(kv => $"{kv.Key}×{kv.Value}"))}\n" +
        $"  endpoints: {string.Join("  ", Endpoints.Select(kv => $"{kv.Key}×{kv.Value}"))}\n" +
        $"  slowest: {string.Join("\n           ", Slowest.Select(s => $"{s.Seconds:F2} s {(s.Case.Length > 160 ? s.Case[..160] : s.Case)}"))}";
}

/// <summary>
/// Sends generated hostile requests one at a time and checks, for each: never a 5xx; every 4xx a ProblemDetails with a
/// type; a refused request changes nothing (the storage snapshot before and after agree); an answer within the timeout.
/// Deterministic for a seed: case i of seed s is always the same request.
/// </summary>
public sealed class ApiFuzzer(HttpClient client, IReadOnlyDictionary<string, string> tokens, Func<CancellationToken, Task<string>>? snapshot = null)
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="cases"/> cases, or until <paramref name="duration"/> has passed (whichever is set).</summary>
    public async Task<FuzzReport> RunAsync(Gen<FuzzCase> gen, ulong seed, int? cases, TimeSpan? duration = null, Action<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var report = new FuzzReport { Seed = seed };
        var sw = Stopwatch.StartNew();
        var before = snapshot is null ? null : await snapshot(cancellationToken);
        for (var i = 0; (cases is null || i < cases) && (duration is null || sw.Elapsed < duration) && !cancellationToken.IsCancellationRequested; i++)
        {
            var generating = Stopwatch.StartNew();
            var c = HostileInput.Case(gen, seed, i);
            report.InGeneration += generating.Elapsed;
            report.Requests++;
            report.Kinds[c.Kind] = report.Kinds.GetValueOrDefault(c.Kind) + 1;
            report.Endpoints[c.Endpoint] = report.Endpoints.GetValueOrDefault(c.Endpoint) + 1;
            int status;
            string? why;
            var timing = Stopwatch.StartNew();
            try
            {
                (status, why) = await SendAndCheckAsync(c, report, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                (status, why) = (0, $"no answer: {ex.GetType().Name}: {ex.Message}");
            }
            report.Statuses[status] = report.Statuses.GetValueOrDefault(status) + 1;
            report.Slowest.Add((timing.Elapsed.TotalSeconds, $"{status} {c}"));
            report.Slowest.Sort((x, y) => y.Seconds.CompareTo(x.Seconds));
            if (report.Slowest.Count > 5) report.Slowest.RemoveAt(5);
            if (snapshot is not null)
            {
                var counting = Stopwatch.StartNew();
                var after = await snapshot(cancellationToken);
                report.InSnapshots += counting.Elapsed;
                if (status is >= 400 and < 500 && why is null)
                {
                    report.StateChecks++;
                    if (after != before) why = $"refused with {status}, but storage changed:\n      before {before}\n      after  {after}";
                }
                before = after;
            }
            if (why is not null)
            {
                report.Failures.Add(new FuzzFailure(seed, i, c, status, why));
            }
            if (progress is not null && report.Requests % 500 == 0) progress($"  … {report.Requests} requests, {sw.Elapsed.TotalSeconds:F0} s, {report.Failures.Count} failures");
        }
        report.Elapsed = sw.Elapsed;
        return report;
    }

    private async Task<(int Status, string? Why)> SendAndCheckAsync(FuzzCase c, FuzzReport report, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.PathAndQuery);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            if (c.ContentType is not null && !request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType))
            {
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }
        }
        if (c.User is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.TryGetValue(c.User, out var t) ? t : "not-a-token.at-all");
        }
        request.Headers.Accept.ParseAdd("application/json");
        foreach (var (k, v) in c.Headers)
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await client.SendAsync(request, timeout.Token);
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
        if (status >= 500)
        {
            return (status, $"server error {status}: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 400)))}");
        }
        if (status is 400 or 414 or 431 && body.Length == 0 && response.Headers.ConnectionClose == true)
        {
            // Kestrel refused the request before the app saw it (a NUL in the path, an over-long request line or header
            // block): no body, and it closes the connection. The app never answers that way.
            report.ServerLevelRefusals++;
            return (status, null);
        }
        if (status >= 400)
        {
            return (status, CheckProblem(status, response.Content.Headers.ContentType?.MediaType, body));
        }
        return (status, null);
    }

    /// <summary>Null when the body is an RFC 9457 ProblemDetails for this status with a stable type; else why not.</summary>
    public static string? CheckProblem(int status, string? mediaType, byte[] body)
    {
        if (mediaType != "application/problem+json")
        {
            return $"{status} answered with {mediaType ?? "no content type"}, not application/problem+json";
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return $"{status}: the problem is not a JSON object";
            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(type.GetString()))
                return $"{status}: the problem has no 'type'";
            if (!root.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String)
                return $"{status}: the problem has no 'title'";
            if (root.TryGetProperty("status", out var s) && (s.ValueKind != JsonValueKind.Number || s.GetInt32() != status))
                return $"{status}: the problem says status {s}";
            return null;
        }
        catch (JsonException ex)
        {
            return $"{status}: the problem is not JSON ({ex.Message})";
        }
    }

    /// <summary>Development tokens for the given users, from POST /api/dev/tokens.</summary>
    public static async Task<Dictionary<string, string>> TokensAsync(HttpClient client, IEnumerable<string> users, CancellationToken cancellationToken = default)
    {
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var response = await client.PostAsync("/api/dev/tokens", new StringContent(JsonSerializer.Serialize(new { userId = user }), Encoding.UTF8, "application/json"), cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"No token for {user}: {(int)response.StatusCode}");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            tokens[user] = doc.RootElement.GetProperty("token").GetString()!;
        }
        return tokens;
    }
}
