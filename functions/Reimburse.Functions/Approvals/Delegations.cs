using System.Globalization;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Core.Company;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;
using Azure.Data.Tables;

namespace Reimburse.Functions.Approvals;

/// <summary>A delegation an approver recorded at runtime (as opposed to a standing one in the policy).</summary>
public sealed record StoredDelegation(string Id, Delegation Delegation, DateTimeOffset CreatedAt);

/// <summary>
/// Delegations approvers record themselves ("while I am on leave from 2 to 6 December, Ho Man decides for me"), in table
/// "delegations" (one partition; a company has a handful). The state machine already takes runtime delegations next to
/// the policy's (<see cref="WorkflowContext.For"/>): the delegate may decide, is listed in GET /api/approvals and is
/// notified of steps that start while the delegation is active. Cached for 30 s like the policy; a change made on this
/// instance is seen here at once, on other instances within the cache time.
/// </summary>
public sealed class DelegationStore(ReimburseStorage storage, TimeProvider clock)
{
    public const string TableName = "delegations";
    private const string Partition = "delegations";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly TableClient _table = storage.Table(TableName);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (IReadOnlyList<StoredDelegation> Items, DateTimeOffset LoadedAt)? _cached;
    private Task? _created;

    public async Task<IReadOnlyList<StoredDelegation>> ListAsync(CancellationToken cancellationToken = default)
    {
        if (_cached is { } c && clock.GetUtcNow() - c.LoadedAt < CacheFor)
        {
            return c.Items;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && clock.GetUtcNow() - again.LoadedAt < CacheFor)
            {
                return again.Items;
            }
            var items = new List<StoredDelegation>();
            try
            {
                await foreach (var e in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken))
                {
                    items.Add(FromEntity(e));
                }
            }
            catch (RequestFailedException ex) when (Problems.IsMissingResource(ex))
            {
                // None recorded yet.
            }
            catch (RequestFailedException) when (_cached is { } stale)
            {
                // A brief storage outage should not stop approvals; keep the last good list.
                return stale.Items;
            }
            _cached = (items, clock.GetUtcNow());
            return items;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<StoredDelegation> AddAsync(Delegation d, CancellationToken cancellationToken = default)
    {
        var stored = new StoredDelegation("dlg_" + Guid.NewGuid().ToString("N")[..20], d, clock.GetUtcNow());
        var created = _created;
        if (created is null || created.IsFaulted)
        {
            _created = created = _table.CreateIfNotExistsAsync(CancellationToken.None);
        }
        await created.WaitAsync(cancellationToken);
        await _table.AddEntityAsync(new TableEntity(Partition, stored.Id)
        {
            ["From"] = d.From,
            ["To"] = d.To,
            ["Start"] = d.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["End"] = d.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["Reason"] = d.Reason,
            ["CreatedAt"] = stored.CreatedAt,
        }, cancellationToken);
        _cached = null;
        return stored;
    }

    /// <summary>Removes a delegation; false when there was none with that id.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            // The SDK answers a missing row with a 404 response rather than an exception.
            var response = await _table.DeleteEntityAsync(Partition, id, cancellationToken: cancellationToken);
            return response.Status != 404;
        }
        finally
        {
            _cached = null;
        }
    }

    private static StoredDelegation FromEntity(TableEntity e) => new(e.RowKey,
        new Delegation(e.GetString("From")!, e.GetString("To")!, DateOnly.ParseExact(e.GetString("Start")!, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            DateOnly.ParseExact(e.GetString("End")!, "yyyy-MM-dd", CultureInfo.InvariantCulture), e.GetString("Reason")),
        e.GetDateTimeOffset("CreatedAt") ?? default);
}

/// <summary>Body of POST /api/me/delegations.</summary>
public sealed record DelegationRequest(string? To, string? Start, string? End, string? Reason);

/// <summary>One delegation as the API shows it; Source is "runtime" (recorded here, Id set) or "policy" (standing).</summary>
public sealed record DelegationView(string? Id, string From, string To, string Start, string End, string? Reason, string Status, string Source, DateTimeOffset? CreatedAt);

/// <summary>GET/POST /api/me/delegations and DELETE /api/me/delegations/{id}: an approver names a delegate for a date range
/// (Hong Kong dates, inclusive), lists what concerns them (given and received, the policy's standing ones too) and revokes
/// their own. Every change is written to the access log (action delegation.manage).</summary>
public static class DelegationEndpoints
{
    public const int MaxDays = 92;

    public static void MapDelegationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/me/delegations").RequireAuthorization();
        group.MapGet("/", List).WithName("ListDelegations");
        group.MapPost("/", Create).WithName("CreateDelegation");
        group.MapDelete("/{id}", Revoke).WithName("RevokeDelegation");
    }

    public static async Task<IResult> List(HttpContext http, AccessGuard guard, DelegationStore store, PolicyProvider policies, WorkflowClock workflowClock,
        IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.DelegationManage, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var (policy, _) = await policies.GetAsync(cancellationToken);
        var today = policy.Calendar.LocalDate(workflowClock.GetUtcNow());
        var runtime = (await store.ListAsync(cancellationToken)).Select(s => View(s.Id, s.Delegation, "runtime", s.CreatedAt, today));
        var standing = policy.Delegations.Select(d => View(null, d, "policy", null, today));
        var mine = runtime.Concat(standing).Where(v => v.From == caller.Id || v.To == caller.Id).OrderBy(v => v.Start, StringComparer.Ordinal).ToList();
        return TypedResults.Ok(new { items = mine });
    }

    public static async Task<IResult> Create(HttpContext http, AccessGuard guard, DelegationStore store, PolicyProvider policies, WorkflowClock workflowClock,
        IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.DelegationManage, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var (body, problem) = await ApprovalEndpoints.ReadBodyAsync<DelegationRequest>(http, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var (policy, company) = await policies.GetAsync(cancellationToken);
        var today = policy.Calendar.LocalDate(workflowClock.GetUtcNow());
        var errors = new Dictionary<string, string[]>();
        User? to = null;
        if (string.IsNullOrWhiteSpace(body!.To))
        {
            errors["to"] = ["to is required: the user id of the delegate."];
        }
        else if (body.To == caller.Id)
        {
            errors["to"] = ["You cannot delegate to yourself."];
        }
        else if ((to = company.FindUser(body.To)) is null)
        {
            errors["to"] = [$"No user '{body.To}' in the company directory."];
        }
        else if (!AccessMatrix.ScopesFor(to, AccessAction.ClaimDecide).Any(s => s != AccessScope.None))
        {
            errors["to"] = [$"{to.Name} cannot approve claims (needs the approver or finance role, and not admin or auditor)."];
        }
        var start = ParseDate(body.Start, "start", errors);
        var end = ParseDate(body.End, "end", errors);
        if (start is { } s && end is { } e)
        {
            if (e < s) errors["end"] = ["end must be on or after start."];
            else if (e < today) errors["end"] = [$"end is in the past (today is {today:yyyy-MM-dd} in Hong Kong)."];
            else if (e.DayNumber - s.DayNumber + 1 > MaxDays) errors["end"] = [$"A delegation covers at most {MaxDays} days."];
        }
        if (body.Reason is { Length: > 500 })
        {
            errors["reason"] = ["reason must be at most 500 characters."];
        }
        if (errors.Count > 0)
        {
            return Problems.ValidationFailed(errors);
        }
        var delegation = new Delegation(caller.Id, to!.Id, start!.Value, end!.Value, string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim());
        // One delegate at a time: who may decide for an absent approver must never be ambiguous.
        var overlapping = (await store.ListAsync(cancellationToken)).Select(x => x.Delegation).Concat(policy.Delegations)
            .FirstOrDefault(x => x.From == caller.Id && x.Start <= delegation.End && delegation.Start <= x.End);
        if (overlapping is not null)
        {
            return Problems.Problem(409, Problems.Conflict, "Overlapping delegation",
                $"You already delegate to {overlapping.To} from {overlapping.Start:yyyy-MM-dd} to {overlapping.End:yyyy-MM-dd}; revoke it first.");
        }
        var stored = await store.AddAsync(delegation, cancellationToken);
        await guard.RecordAsync(caller, AccessAction.DelegationManage, AccessTarget.None, new Dictionary<string, object?>
        {
            ["op"] = "created", ["delegationId"] = stored.Id, ["to"] = delegation.To,
            ["start"] = delegation.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["end"] = delegation.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }, cancellationToken);
        return TypedResults.Created($"/api/me/delegations/{stored.Id}", View(stored.Id, delegation, "runtime", stored.CreatedAt, today));
    }

    public static async Task<IResult> Revoke(string id, HttpContext http, AccessGuard guard, DelegationStore store, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.DelegationManage, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Forbidden();
        }
        var mine = (await store.ListAsync(cancellationToken)).FirstOrDefault(x => x.Id == id && x.Delegation.From == caller.Id);
        if (mine is null || !await store.RemoveAsync(id, cancellationToken))
        {
            return Problems.NotFoundResult("delegation");
        }
        await guard.RecordAsync(caller, AccessAction.DelegationManage, AccessTarget.None,
            new Dictionary<string, object?> { ["op"] = "revoked", ["delegationId"] = id, ["to"] = mine.Delegation.To }, cancellationToken);
        return TypedResults.NoContent();
    }

    private static DateOnly? ParseDate(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = [$"{field} is required (yyyy-MM-dd, Hong Kong date)."];
            return null;
        }
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            errors[field] = [$"{field} must be a date as yyyy-MM-dd."];
            return null;
        }
        return d;
    }

    private static DelegationView View(string? id, Delegation d, string source, DateTimeOffset? createdAt, DateOnly today) =>
        new(id, d.From, d.To, d.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.End.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), d.Reason,
            d.End < today ? "ended" : d.Start > today ? "upcoming" : "active", source, createdAt);

    private static IResult Forbidden() => Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only approvers and finance officers delegate their approvals.");
}
