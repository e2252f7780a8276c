using System.Globalization;
using Azure;
using Microsoft.DurableTask.Client;
using Reimburse.Core.Approvals;
using Reimburse.Core.Claims;
using Reimburse.Functions.Claims;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Approvals;

/// <summary>Outcome of a workflow command: the claim status and workflow version the accepted input leads to, or why it
/// was refused.</summary>
public sealed record WorkflowCommandResult(string? Status, int Version, WorkflowError? Error, bool NotFound = false);

/// <summary>
/// Applies a caller's input (decision, withdrawal) to a claim's workflow. The caller is authorised against the committed
/// state (403 / 400 / 409 at once); an accepted input then claims its place with an insert-if-absent row — the slot of the
/// step for a decision, the claim's one withdrawal — so of N concurrent decisions on one slot exactly one is accepted and
/// the rest get 409; then the input is raised as the "workflow" event of the claim's orchestration. The orchestrator
/// applies it to its own state again: a decision that lost a race there (say to a withdrawal) is ignored and logged,
/// never applied twice.
/// </summary>
public sealed class ApprovalCommands(ReimburseStorage storage, PolicyProvider policies, WorkflowClock workflowClock, TimeProvider clock)
{
    /// <summary>A caller's own accepted input whose event may never have been raised (the process died between the slot row
    /// and the event) is raised again by the caller's retry once it is this old; younger, the retry is a double click (409).</summary>
    public static readonly TimeSpan RetryTakeover = TimeSpan.FromSeconds(10);

    public async Task<WorkflowCommandResult> ApplyAsync(DurableTaskClient client, string claimId, WorkflowInput input, string actorRole, string? sourceIp,
        Func<TableEntity>? extraRow = null, CancellationToken cancellationToken = default)
    {
        if (await ReadAcceptedAsync(claimId, cancellationToken) is not { } read)
        {
            return new WorkflowCommandResult(null, 0, null, NotFound: true);
        }
        var (stored, state, context, now) = (read.Claim, read.State, read.Context, read.Now);
        if (state.Status == WorkflowStatus.NotStarted)
        {
            return Refused(new WorkflowError(WorkflowErrorCode.NotStarted, $"The claim is {stored.Claim.Status}; its approval has not started."));
        }
        if (input is DecisionMade d)
        {
            // Pin the step the caller was authorised for: if the orchestrator has moved on when the event arrives, the
            // decision is stale there and changes nothing.
            input = d with { Round = d.Round ?? state.Round, StepIndex = d.StepIndex ?? state.StepIndex };
        }
        Transitioned t;
        switch (ApprovalWorkflow.Decide(state, input, now, context))
        {
            case Transitioned accepted:
                t = accepted;
                break;
            case Refused r:
                // The caller's own accepted input, never applied and old enough not to be a double click: its event may
                // have died with the process that wrote the row. Raise it again and answer as the first time.
                if (OwnUnappliedRetry(read, input) is { } own)
                {
                    await RaiseAsync(client, claimId, read.Committed, own, cancellationToken);
                    return new WorkflowCommandResult(WorkflowRows.ClaimStatusFor(state.Status).ToString(), state.Version, null);
                }
                return Refused(AlreadyDecidedByActor(state, input, r.Error));
            default:
                return Refused(new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, "Nothing to change."));
        }

        var slotRow = new TableEntity(claimId, SlotRowKey(state, input, t))
        {
            ["Actor"] = input switch { DecisionMade m => m.Actor, Withdrawn w => w.Actor, _ => "" },
            ["Input"] = WorkflowJson.Of(input),
            ["ForVersion"] = state.Version,
            // Everything the event carries, so the orchestration can recover the input from the row if the event is lost.
            ["Context"] = WorkflowJson.Of(WorkflowContextData.From(context)),
            ["ActorRole"] = actorRole,
            ["SourceIp"] = sourceIp,
        };
        try
        {
            if (extraRow is null)
            {
                await storage.Claims.AddEntityAsync(slotRow, cancellationToken);
            }
            else
            {
                await storage.Claims.SubmitTransactionAsync(
                    [new(TableTransactionActionType.Add, slotRow), new(TableTransactionActionType.Add, extraRow())], cancellationToken);
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // First writer wins: someone (perhaps this caller, double-clicking) decided this slot a moment ago.
            return Refused(input is Withdrawn
                ? new WorkflowError(WorkflowErrorCode.ClaimFinal, "The claim was already withdrawn.")
                : new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, "That approval step has already been decided."));
        }

        await RaiseAsync(client, claimId, read.Committed, EventOf(slotRow), cancellationToken);
        return new WorkflowCommandResult(WorkflowRows.ClaimStatusFor(t.State.Status).ToString(), t.State.Version, null);
    }

    /// <summary>A pending claim's events go to its approval round; a returned one's to the claim orchestration that waits for
    /// the claimant (by the state the orchestration committed: the instance that will read the event).</summary>
    private static Task RaiseAsync(DurableTaskClient client, string claimId, WorkflowState committed, WorkflowEvent e, CancellationToken cancellationToken)
    {
        var target = committed.Status == WorkflowStatus.Pending ? ApprovalOrchestration.InstanceId(claimId, committed.Round) : claimId;
        return client.RaiseEventAsync(target, ApprovalOrchestration.EventName, e, cancellationToken);
    }

    /// <summary>The event an accepted input's row stands for.</summary>
    public static WorkflowEvent EventOf(TableEntity row) => new(
        row.GetString("Input"),
        row.GetString("Context") is { Length: > 0 } c ? WorkflowJson.To<WorkflowContextData>(c) : null,
        row.GetString("ActorRole"),
        row.GetString("SourceIp"));

    /// <summary>The caller's own accepted row for this input (same actor, same decision on the same step, or their
    /// withdrawal) when the orchestration has not applied it yet and it is older than <see cref="RetryTakeover"/>.</summary>
    private WorkflowEvent? OwnUnappliedRetry(AcceptedRead read, WorkflowInput input)
    {
        var cutoff = clock.GetUtcNow() - RetryTakeover;
        var before = read.Committed;
        foreach (var row in read.Rows)
        {
            var state = before;
            before = ApplyAccepted(before, [row], read.Now, read.Context);
            if (row.Timestamp is not { } at || at > cutoff || row.GetString("Input") is not { } json)
            {
                continue;
            }
            var mine = (WorkflowJson.To<WorkflowInput>(json), input) switch
            {
                (DecisionMade a, DecisionMade b) => a.Actor == b.Actor && a.Decision == b.Decision
                    && (b.Round is null || b.Round == a.Round) && (b.StepIndex is null || b.StepIndex == a.StepIndex),
                (Withdrawn a, Withdrawn b) => a.Actor == b.Actor,
                _ => false,
            };
            if (mine && ApprovalWorkflow.Decide(state, WorkflowJson.To<WorkflowInput>(json), read.Now, read.Context) is Transitioned)
            {
                return EventOf(row);
            }
        }
        return null;
    }

    /// <summary>The claim with its workflow state as it will be: the state the orchestration last committed plus this
    /// round's decisions (and the claim's withdrawal) accepted and not applied yet — read-your-writes for the next approver
    /// and for status readers. Null when the claim does not exist.</summary>
    public async Task<(StoredClaim Claim, WorkflowState State, WorkflowContext Context, DateTimeOffset Now)?> ReadAsync(string claimId, CancellationToken cancellationToken = default) =>
        await ReadAcceptedAsync(claimId, cancellationToken) is { } read ? (read.Claim, read.State, read.Context, read.Now) : null;

    /// <summary>What <see cref="ReadAsync"/> reads, with the committed state and the accepted rows in the order they were
    /// accepted.</summary>
    public sealed record AcceptedRead(StoredClaim Claim, WorkflowState Committed, WorkflowState State, WorkflowContext Context, DateTimeOffset Now, IReadOnlyList<TableEntity> Rows);

    public async Task<AcceptedRead?> ReadAcceptedAsync(string claimId, CancellationToken cancellationToken = default)
    {
        if (!ClaimIds.IsValid(claimId))
        {
            return null;
        }
        var withdrawal = storage.Claims.GetEntityIfExistsAsync<TableEntity>(claimId, WorkflowRows.WithdrawalRowKey, cancellationToken: cancellationToken);
        // One range read: the claim row (the state the orchestration last committed) and the decision rows after it.
        TableEntity? row = null;
        var decisions = new List<TableEntity>();
        var to = WorkflowRows.DecisionPrefix + "~";
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId} and RowKey ge {ClaimStore.ClaimRowKey} and RowKey lt {to}"), cancellationToken: cancellationToken))
        {
            if (e.RowKey == ClaimStore.ClaimRowKey) row = e; else decisions.Add(e);
        }
        var withdrawn = await withdrawal;
        if (row is null)
        {
            return null;
        }
        var stored = ClaimEntityMapper.FromEntity(row);
        var committed = WorkflowRows.ReadState(stored);
        var context = await policies.ContextAsync(cancellationToken);
        var now = workflowClock.GetUtcNow();
        var rows = Accepted(committed, decisions, withdrawn.HasValue ? withdrawn.Value : null);
        return new AcceptedRead(stored, committed, ApplyAccepted(committed, rows, now, context), context, now, rows);
    }

    /// <summary>This round's decision rows and the withdrawal row, in the order they were accepted.</summary>
    public static IReadOnlyList<TableEntity> Accepted(WorkflowState state, IEnumerable<TableEntity> decisions, TableEntity? withdrawal) =>
        decisions.Where(e => e.RowKey.StartsWith(WorkflowRows.DecisionRoundPrefix(state.Round), StringComparison.Ordinal))
            .Concat(withdrawal is null ? [] : [withdrawal])
            .OrderBy(e => e.Timestamp).ThenBy(e => e.RowKey, StringComparer.Ordinal)
            .ToList();

    /// <summary>Applies accepted rows in order; one already applied is refused again by the state machine and changes
    /// nothing.</summary>
    public static WorkflowState ApplyAccepted(WorkflowState state, IEnumerable<TableEntity> rows, DateTimeOffset now, WorkflowContext context)
    {
        foreach (var accepted in rows)
        {
            if (accepted.GetString("Input") is { } json && ApprovalWorkflow.Decide(state, WorkflowJson.To<WorkflowInput>(json), now, context) is Transitioned applied)
            {
                state = applied.State;
            }
        }
        return state;
    }

    /// <summary>For the orchestration when it wakes: the inputs accepted for this round (or the withdrawal) that its state
    /// has not applied, in the order they were accepted — an event lost between the slot row and the raise is recovered
    /// here, and a decision accepted before a timer's due time is applied before the timer acts.</summary>
    public async Task<IReadOnlyList<WorkflowEvent>> UnappliedAsync(string claimId, WorkflowState state, CancellationToken cancellationToken = default)
    {
        var withdrawal = storage.Claims.GetEntityIfExistsAsync<TableEntity>(claimId, WorkflowRows.WithdrawalRowKey, cancellationToken: cancellationToken);
        var decisions = new List<TableEntity>();
        var from = WorkflowRows.DecisionRoundPrefix(state.Round);
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId} and RowKey ge {from} and RowKey lt {from + "~"}"), cancellationToken: cancellationToken))
        {
            decisions.Add(e);
        }
        var withdrawn = await withdrawal;
        var context = await policies.ContextAsync(cancellationToken);
        var now = workflowClock.GetUtcNow();
        var events = new List<WorkflowEvent>();
        foreach (var row in Accepted(state, decisions, withdrawn.HasValue ? withdrawn.Value : null))
        {
            if (row.GetString("Input") is { } json && ApprovalWorkflow.Decide(state, WorkflowJson.To<WorkflowInput>(json), now, context) is Transitioned applied)
            {
                state = applied.State;
                events.Add(EventOf(row));
            }
        }
        return events;
    }

    /// <summary>Tells the orchestration of a returned claim that the claimant resubmitted it (intake runs again, then a new
    /// approval round).</summary>
    public static Task ResubmittedAsync(DurableTaskClient client, string claimId, CancellationToken cancellationToken = default) =>
        client.RaiseEventAsync(claimId, ApprovalOrchestration.EventName, new WorkflowEvent(null, null, null, null, Resubmit: true), cancellationToken);

    /// <summary>The decision's slot (the one its signature, rejection or return takes, from its audit entry), or the claim's
    /// withdrawal.</summary>
    private static string SlotRowKey(WorkflowState state, WorkflowInput input, Transitioned t)
    {
        if (input is not DecisionMade)
        {
            return WorkflowRows.WithdrawalRowKey;
        }
        var slot = t.Effects.OfType<AppendAudit>().Select(a => a.Details.GetValueOrDefault("slot")).FirstOrDefault(s => s is not null);
        return WorkflowRows.DecisionRowKey(state.Round, state.StepIndex, slot is null ? 0 : int.Parse(slot, CultureInfo.InvariantCulture));
    }

    private static WorkflowCommandResult Refused(WorkflowError error) => new(null, 0, error);

    /// <summary>A second click by someone who already signed an earlier step of this round is a late duplicate (409), not
    /// an outsider (403): the step they decided has moved on.</summary>
    private static WorkflowError AlreadyDecidedByActor(WorkflowState state, WorkflowInput input, WorkflowError error) =>
        error.Code == WorkflowErrorCode.NotCurrentApprover && input is DecisionMade d
            && state.History.Any(h => h.Round == state.Round && (h.Actor == d.Actor || h.OnBehalfOf == d.Actor) && h.Action == "step.approved")
            ? new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, "You already decided this claim; it has moved on to the next step.")
            : error;
}
