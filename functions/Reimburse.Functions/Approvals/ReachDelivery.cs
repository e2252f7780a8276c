using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Core.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>Delivery states of a ladder rung's SMS or call, as stored on its row and shown by GET /api/claims/{id}/workflow.</summary>
public static class ReachStates
{
    /// <summary>Leased by a delivery attempt (LeaseUntil says until when).</summary>
    public const string Sending = "sending";

    /// <summary>Accepted by the provider (Sid set); Twilio's callbacks then move it on (delivered, completed, …).</summary>
    public const string Sent = "sent";

    /// <summary>The provider refused it or kept failing (LastError). Not retried; the workflow went on.</summary>
    public const string Failed = "failed";

    /// <summary>No provider configured: written to the log only (development).</summary>
    public const string Logged = "logged";
}

/// <summary>One rung's delivery record (row <c>reach-{version}-{index}</c> of the claim's partition).</summary>
public sealed record ReachDeliveryView(string Key, string UserId, string Channel, string State, string? ProviderStatus, string? Sid, int Attempts,
    string? LastError, string? Keypress, DateTimeOffset? UpdatedAt);

/// <summary>
/// The ladder's side outside the workflow: approvers' opt-outs (table "reach", partition "prefs"), the per-day count of SMS
/// and calls per approver (partition "day-yyyyMMdd", one row per rung key, so a repeat never counts twice), and the
/// delivery of a <see cref="Reach"/> effect exactly once by key (a lease on the rung's row in the claim's partition).
/// </summary>
public sealed partial class ReachDelivery(
    ReimburseStorage storage,
    TwilioGateway twilio,
    ApprovalLinks links,
    IOptions<WorkflowOptions> workflow,
    TimeProvider clock,
    ILogger<ReachDelivery> logger)
{
    public const string TableName = "reach";
    public const string RowPrefix = "reach-";
    private const string PrefsPartition = "prefs";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly TableClient _table = storage.Table(TableName);
    private Task? _created;
    private (IReadOnlyDictionary<string, (bool SmsOff, bool CallsOff)> Items, DateTimeOffset LoadedAt)? _optOuts;

    public static string RowKey(int version, int index) => string.Create(CultureInfo.InvariantCulture, $"{RowPrefix}{version:D10}-{index:D3}");

    /// <summary>Opt-outs of everyone who set any; cached for 30 s like delegations (a change made on this instance is seen
    /// at once, on others within the cache time).</summary>
    public async Task<IReadOnlyDictionary<string, (bool SmsOff, bool CallsOff)>> OptOutsAsync(CancellationToken cancellationToken = default)
    {
        if (_optOuts is { } cached && clock.GetUtcNow() - cached.LoadedAt < CacheFor)
        {
            return cached.Items;
        }
        var result = new Dictionary<string, (bool, bool)>(StringComparer.Ordinal);
        try
        {
            await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {PrefsPartition}"), cancellationToken: cancellationToken))
            {
                result[e.RowKey] = (e.GetBoolean("SmsOff") ?? false, e.GetBoolean("CallsOff") ?? false);
            }
        }
        catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
        {
            // Nobody opted out yet.
        }
        _optOuts = (result, clock.GetUtcNow());
        return result;
    }

    public async Task SetOptOutAsync(string userId, bool smsOff, bool callsOff, CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken);
        await _table.UpsertEntityAsync(new TableEntity(PrefsPartition, userId)
        {
            ["SmsOff"] = smsOff,
            ["CallsOff"] = callsOff,
            ["UpdatedAt"] = clock.GetUtcNow(),
        }, TableUpdateMode.Replace, cancellationToken);
        _optOuts = null;
    }

    /// <summary>How many SMS and calls each user got on <paramref name="date"/> (their office's local date).</summary>
    public async Task<IReadOnlyDictionary<string, int>> CountsAsync(DateOnly date, CancellationToken cancellationToken = default)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {DayPartition(date)}"), select: ["RowKey"], cancellationToken: cancellationToken))
            {
                var user = e.RowKey[..e.RowKey.IndexOf('|', StringComparison.Ordinal)];
                counts[user] = counts.GetValueOrDefault(user) + 1;
            }
        }
        catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
        {
        }
        return counts;
    }

    /// <summary>The context with people (office, phone, language, opt-outs) and, when <paramref name="countsOn"/> is given,
    /// today's SMS / call counts for the daily cap.</summary>
    public async Task<WorkflowContext> WithPeopleAsync(WorkflowContext context, CompanyDirectory company, DateOnly? countsOn, CancellationToken cancellationToken = default)
    {
        var optOuts = await OptOutsAsync(cancellationToken);
        var counts = countsOn is { } d ? await CountsAsync(d, cancellationToken) : new Dictionary<string, int>();
        var people = company.Users.ToDictionary(u => u.Id, u =>
        {
            var (smsOff, callsOff) = optOuts.GetValueOrDefault(u.Id);
            return new Person(u.Id, u.Office, u.Phone, u.Language, smsOff, callsOff, counts.GetValueOrDefault(u.Id));
        }, StringComparer.Ordinal);
        return context with { People = people };
    }

    /// <summary>Delivers a <see cref="Reach"/> effect once: returns the state it ended in. A record that is settled (or leased
    /// by another attempt) is left alone; the provider's failures are recorded, never thrown.</summary>
    public async Task<string> DeliverAsync(string claimId, KeyedEffect effect, Reach reach, DateOnly localDate, CancellationToken cancellationToken = default)
    {
        var rowKey = RowKey(effect.Version, effect.Index);
        var row = await storage.Claims.GetEntityOrDefaultAsync(claimId, rowKey, cancellationToken: cancellationToken);
        var now = clock.GetUtcNow();
        if (row?.GetString("State") is { } state && (state != ReachStates.Sending || row.GetDateTimeOffset("LeaseUntil") > now))
        {
            return state;
        }
        var lease = new TableEntity(claimId, rowKey)
        {
            ["Key"] = effect.Key,
            ["Type"] = nameof(Reach),
            ["UserId"] = reach.UserId,
            ["Channel"] = Channel(reach.Channel),
            ["State"] = ReachStates.Sending,
            ["LeaseUntil"] = now + Lease,
            ["UpdatedAt"] = now,
        };
        try
        {
            if (row is null)
            {
                await storage.Claims.AddEntityAsync(lease, cancellationToken);
            }
            else
            {
                await storage.Claims.UpdateEntityAsync(lease, row.ETag, TableUpdateMode.Merge, cancellationToken);
            }
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return ReachStates.Sending; // another attempt took it
        }
        await CountAsync(localDate, reach.UserId, effect.Key, cancellationToken);

        ProviderResult result;
        if (!twilio.Enabled)
        {
            LogLogged(logger, effect.Key, Channel(reach.Channel), reach.UserId);
            result = new ProviderResult(true, null, null, 0);
        }
        else
        {
            var status = CallbackUrl("status", claimId, rowKey);
            var text = Message(reach);
            result = reach.Channel == ReachChannel.Sms
                ? await twilio.SendSmsAsync(reach.Phone, text + " " + LinkFor(claimId, effect.Key, reach), status, cancellationToken)
                : await twilio.CallAsync(reach.Phone, TwilioGateway.CallTwiml(reach.Language, text, CallbackUrl("keypress", claimId, rowKey)), status, cancellationToken);
        }
        var final = !twilio.Enabled ? ReachStates.Logged : result.Sent ? ReachStates.Sent : ReachStates.Failed;
        await storage.Claims.UpdateEntityAsync(new TableEntity(claimId, rowKey)
        {
            ["State"] = final,
            ["Sid"] = result.Sid,
            ["Attempts"] = result.Attempts,
            ["LastError"] = result.Error,
            ["UpdatedAt"] = clock.GetUtcNow(),
            ["Effect"] = effect.Effect,
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        if (final == ReachStates.Failed)
        {
            LogFailed(logger, effect.Key, Channel(reach.Channel), result.Error ?? "");
        }
        return final;
    }

    /// <summary>Twilio reported on a message or call (status callback): recorded as the row's ProviderStatus.</summary>
    public async Task<bool> RecordStatusAsync(string claimId, string rowKey, string providerStatus, string? errorCode, CancellationToken cancellationToken = default)
    {
        try
        {
            var entity = new TableEntity(claimId, rowKey) { ["ProviderStatus"] = providerStatus, ["UpdatedAt"] = clock.GetUtcNow() };
            if (errorCode is { Length: > 0 })
            {
                entity["ProviderError"] = errorCode;
            }
            await storage.Claims.UpdateEntityAsync(entity, ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }

    /// <summary>The approver pressed 1 during the call: the link goes out by SMS, once per call (a conditional write on the
    /// row marks it before sending; a repeated keypress callback finds the mark).</summary>
    public async Task<bool> SendLinkAfterKeypressAsync(string claimId, string rowKey, CancellationToken cancellationToken = default)
    {
        var row = await storage.Claims.GetEntityOrDefaultAsync(claimId, rowKey, cancellationToken: cancellationToken);
        if (row?.GetString("Effect") is not { } json || WorkflowJson.To<WorkflowEffect>(json) is not Reach reach || row.GetString("Keypress") is not null)
        {
            return false;
        }
        try
        {
            await storage.Claims.UpdateEntityAsync(new TableEntity(claimId, rowKey) { ["Keypress"] = "1" }, row.ETag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
        var key = row.GetString("Key") ?? rowKey;
        var result = await twilio.SendSmsAsync(reach.Phone, Message(reach) + " " + LinkFor(claimId, key, reach), CallbackUrl("status", claimId, rowKey + "-link"), cancellationToken);
        await storage.Claims.UpdateEntityAsync(new TableEntity(claimId, rowKey)
        {
            ["Keypress"] = result.Sent ? "1: link sent" : "1: link failed",
            ["LinkSid"] = result.Sid,
        }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        return result.Sent;
    }

    /// <summary>The delivery records of a claim's rungs.</summary>
    public async Task<IReadOnlyList<ReachDeliveryView>> ListAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var list = new List<ReachDeliveryView>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {claimId} and RowKey ge {RowPrefix} and RowKey lt {"reach."}");
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            list.Add(new ReachDeliveryView(e.GetString("Key") ?? e.RowKey, e.GetString("UserId") ?? "", e.GetString("Channel") ?? "", e.GetString("State") ?? "",
                e.GetString("ProviderStatus"), e.GetString("Sid"), e.GetInt32("Attempts") ?? 0, e.GetString("LastError"), e.GetString("Keypress"), e.GetDateTimeOffset("UpdatedAt")));
        }
        return list;
    }

    public Uri CallbackUrl(string kind, string claimId, string rowKey)
    {
        var baseUrl = (twilio.Options.CallbackBaseUrl is { Length: > 0 } cb ? cb : workflow.Value.PublicBaseUrl).TrimEnd('/');
        return new Uri($"{baseUrl}/api/twilio/{kind}?c={Uri.EscapeDataString(claimId)}&k={Uri.EscapeDataString(rowKey)}");
    }

    /// <summary>The short message of an SMS or call, in the approver's language.</summary>
    public static string Message(Reach reach)
    {
        var claim = reach.Data.GetValueOrDefault("claimId") ?? "";
        var amount = reach.Data.GetValueOrDefault("amount") ?? "";
        var step = reach.Data.GetValueOrDefault("stepName") ?? "";
        return reach.Language == "zh-HK"
            ? $"報銷申請 {claim}（{amount}）正等待您審批（{step}）。"
            : $"Expense claim {claim} ({amount}) is waiting for your approval ({step}).";
    }

    private string LinkFor(string claimId, string key, Reach reach)
    {
        var round = int.Parse(reach.Data.GetValueOrDefault("round") ?? "1", CultureInfo.InvariantCulture);
        var step = int.Parse(reach.Data.GetValueOrDefault("step") ?? "0", CultureInfo.InvariantCulture);
        // The approve link opens a confirmation page (GET changes nothing), like the chat and e-mail buttons.
        return links.Url(links.CreateToken(claimId, reach.UserId, Decision.Approve, round, step, ApprovalLinks.NonceFor(key, reach.UserId, Decision.Approve)));
    }

    private async Task CountAsync(DateOnly date, string userId, string key, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken);
        try
        {
            await _table.AddEntityAsync(new TableEntity(DayPartition(date), userId + "|" + key), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Counted by an earlier attempt of the same rung.
        }
    }

    private Task EnsureTableAsync(CancellationToken cancellationToken) => _created ??= _table.CreateIfNotExistsAsync(cancellationToken);

    private static string DayPartition(DateOnly date) => "day-" + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Channel(ReachChannel channel) => channel == ReachChannel.Sms ? "sms" : "call";

    [LoggerMessage(EventId = 4230, Level = LogLevel.Information, Message = "Ladder rung {Key}: {Channel} to {UserId} logged (no SMS / voice provider configured)")]
    private static partial void LogLogged(ILogger logger, string key, string channel, string userId);

    [LoggerMessage(EventId = 4231, Level = LogLevel.Warning, Message = "Ladder rung {Key}: {Channel} failed, recorded; the workflow goes on: {Error}")]
    private static partial void LogFailed(ILogger logger, string key, string channel, string error);
}
