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
public sealed class ApprovalCommands(ReimburseStorage storage, PolicyProvider policies, WorkflowClock workflowClock)
{
    public async Task<WorkflowCommandResult> ApplyAsync(DurableTaskClient client, string claimId, WorkflowInput input, string actorRole, string? sourceIp,
        Func<TableEntity>? extraRow = null, CancellationToken cancellationToken = default)
    {
        if (await ReadAsync(claimId, cancellationToken) is not var (stored, state, context, now))
        {
            return new WorkflowCommandResult(null, 0, null, NotFound: true);
        }
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
                return Refused(AlreadyDecidedByActor(state, input, r.Error));
            default:
                return Refused(new WorkflowError(WorkflowErrorCode.StepAlreadyDecided, "Nothing to change."));
        }

        var slotRow = new TableEntity(claimId, SlotRowKey(state, input, t))
        {
            ["Actor"] = input switch { DecisionMade m => m.Actor, Withdrawn w => w.Actor, _ => "" },
            ["Input"] = WorkflowJson.Of(input),
            ["ForVersion"] = state.Version,
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

        // A pending claim's events go to its approval round; a returned one's to the claim orchestration that waits for the
        // claimant.
        var target = state.Status == WorkflowStatus.Pending ? ApprovalOrchestration.InstanceId(claimId, state.Round) : claimId;
        await client.RaiseEventAsync(target, ApprovalOrchestration.EventName,
            new WorkflowEvent(WorkflowJson.Of(input), WorkflowContextData.From(context), actorRole, sourceIp), cancellationToken);
        return new WorkflowCommandResult(WorkflowRows.ClaimStatusFor(t.State.Status).ToString(), t.State.Version, null);
    }

    /// <summary>The claim with its workflow state as it will be: the state the orchestration last committed plus this
    /// round's decisions accepted and not applied yet (read-your-writes for the next approver and for status readers).
    /// Null when the claim does not exist.</summary>
    public async Task<(StoredClaim Claim, WorkflowState State, WorkflowContext Context, DateTimeOffset Now)?> ReadAsync(string claimId, CancellationToken cancellationToken = default)
    {
        if (!ClaimIds.IsValid(claimId))
        {
            return null;
        }
        // One range read: the claim row (the state the orchestration last committed) and the decision rows after it.
        TableEntity? row = null;
        var decisions = new List<TableEntity>();
        var to = WorkflowRows.DecisionPrefix + "~";
        await foreach (var e in storage.Claims.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId} and RowKey ge {ClaimStore.ClaimRowKey} and RowKey lt {to}"), cancellationToken: cancellationToken))
        {
            if (e.RowKey == ClaimStore.ClaimRowKey) row = e; else decisions.Add(e);
        }
        if (row is null)
        {
            return null;
        }
        var stored = ClaimEntityMapper.FromEntity(row);
        var state = WorkflowRows.ReadState(stored);
        var context = await policies.ContextAsync(cancellationToken);
        var now = workflowClock.GetUtcNow();
        // Decisions accepted a moment ago may not be applied by the orchestration yet: apply this round's in the order they
        // were accepted, so the caller is checked against the step as it will be (one already applied is refused again by
        // the state machine and changes nothing).
        foreach (var accepted in decisions.Where(e => e.RowKey.StartsWith(WorkflowRows.DecisionRoundPrefix(state.Round), StringComparison.Ordinal))
            .OrderBy(e => e.Timestamp).ThenBy(e => e.RowKey, StringComparer.Ordinal))
        {
            if (accepted.GetString("Input") is { } json && ApprovalWorkflow.Decide(state, WorkflowJson.To<WorkflowInput>(json), now, context) is Transitioned applied)
            {
                state = applied.State;
            }
        }
        return (stored, state, context, now);
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
