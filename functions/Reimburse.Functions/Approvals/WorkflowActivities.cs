using System.Globalization;
using Azure;
using Microsoft.Azure.Functions.Worker;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;
using Azure.Data.Tables;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Approvals;

/// <summary>Input of <see cref="WorkflowActivities.CommitWorkflow"/>: a transition (<see cref="Transitioned"/> as JSON).</summary>
public sealed record WorkflowCommit(string ClaimId, string Transition, string? ActorRole, string? SourceIp);

/// <summary>Input of <see cref="WorkflowActivities.Wake"/>: the round's state as the orchestration holds it.</summary>
public sealed record WakeRequest(string ClaimId, string State);

/// <summary>What <see cref="WorkflowActivities.Wake"/> found: the context in force now and the inputs accepted for the round
/// that the state has not applied (in the order they were accepted).</summary>
public sealed record WorkflowWake(WorkflowContextData Context, IReadOnlyList<WorkflowEvent> Accepted);

/// <summary>Input of <see cref="WorkflowActivities.DeliverNotification"/>.</summary>
public sealed record NotificationDue(string ClaimId, KeyedEffect Effect);

/// <summary>
/// The workflow's activities. The engine runs each at least once, so each is exactly once by key: the commit by workflow
/// version (the claim row records the last version committed, in the same batch as the audit entries), the ledger post by
/// effect key (insert if absent), a notification by effect key and channel (its delivery record on the claim's
/// outbox row).
/// </summary>
public sealed partial class WorkflowActivities(
    ClaimStore claims,
    ReimburseStorage storage,
    ApprovalIndex index,
    PolicyProvider policies,
    WorkflowNotifications notifications,
    ApprovalCommands commands,
    ReachDelivery reach,
    WorkflowClock workflowClock,
    TimeProvider clock,
    ILogger<WorkflowActivities> logger,
    Events.ClaimEventPublisher events)
{
    /// <summary>Stores the new state, claim status and the transition's audit entries (one batch), then the pending-approvals
    /// index rows of whoever the new step waits on. A version already committed is skipped.</summary>
    [Function(nameof(CommitWorkflow))]
    public async Task<int> CommitWorkflow([ActivityTrigger] WorkflowCommit input)
    {
        var t = WorkflowJson.To<Transitioned>(input.Transition);
        var (_, error) = await claims.ChangeAsync(input.ClaimId, current =>
            (current.Raw.GetInt32(WorkflowRows.WorkflowVersionProperty) ?? 0) >= t.State.Version
                ? (null, new Reimburse.Core.Claims.ClaimTransitionError("committed", $"Version {t.State.Version} is committed already."))
                : (WorkflowRows.ToChange(current, t, clock.GetUtcNow(), input.ActorRole, input.SourceIp), null));
        if (error is { Code: "not-found" })
        {
            throw new InvalidOperationException($"Claim {input.ClaimId} does not exist.");
        }
        var principals = ApprovalWorkflow.Principals(t.State);
        if (principals.Count > 0)
        {
            await index.AddAsync(principals, input.ClaimId, t.State.Version);
        }
        LogCommitted(logger, input.ClaimId, t.State.Version, error?.Code ?? "written");
        if (t.State.Status is WorkflowStatus.Approved or WorkflowStatus.Rejected or WorkflowStatus.Returned or WorkflowStatus.Withdrawn)
        {
            // Also when this version was committed by an earlier attempt: that attempt may have died before publishing.
            var name = t.State.Status.ToString().ToLowerInvariant();
            await events.PublishAsync(name, $"{input.ClaimId}:{name}:r{t.State.Round}", input.ClaimId,
                new { claimId = input.ClaimId, status = t.State.Status.ToString(), round = t.State.Round, claimantId = t.State.ClaimantId, url = $"/api/claims/{input.ClaimId}" });
        }
        return t.State.Version;
    }

    /// <summary>The calendar and the delegations in force now (the policy's and those recorded at runtime).</summary>
    [Function(nameof(LoadWorkflowContext))]
    public async Task<WorkflowContextData> LoadWorkflowContext([ActivityTrigger] string claimId)
    {
        _ = claimId;
        return WorkflowContextData.From(await policies.ContextAsync());
    }

    /// <summary>When a round's orchestration wakes (a timer, or its periodic check): the context in force now and the inputs
    /// accepted for the round that its state has not applied — an event lost between the slot row and the raise (a crash),
    /// or a decision accepted before a timer's due time, which goes first.</summary>
    [Function(nameof(Wake))]
    public async Task<WorkflowWake> Wake([ActivityTrigger] WakeRequest request)
    {
        var state = WorkflowJson.To<WorkflowState>(request.State);
        var accepted = await commands.UnappliedAsync(request.ClaimId, state);
        var (policy, _) = await policies.GetAsync();
        return new WorkflowWake(WorkflowContextData.From(await policies.ContextForTimersAsync(policy.Calendar.LocalDate(workflowClock.GetUtcNow()))), accepted);
    }

    /// <summary>For the orchestration of a returned claim when it wakes: the claimant's resubmission (the claim is Submitted
    /// again) or withdrawal that was accepted and not applied, else null. A resubmission event is only acted on when this
    /// confirms it (a duplicate delivered later must not start a round).</summary>
    [Function(nameof(ReturnedClaimInput))]
    public async Task<WorkflowEvent?> ReturnedClaimInput([ActivityTrigger] WakeRequest request)
    {
        var stored = await claims.GetAsync(request.ClaimId) ?? throw new InvalidOperationException($"Claim {request.ClaimId} does not exist.");
        if (stored.Claim.Status == Reimburse.Core.Claims.ClaimStatus.Submitted)
        {
            return new WorkflowEvent(null, null, null, null, Resubmit: true);
        }
        var accepted = await commands.UnappliedAsync(request.ClaimId, WorkflowJson.To<WorkflowState>(request.State));
        return accepted.Count > 0 ? accepted[0] : null;
    }

    /// <summary>Hands an approved claim to accounting: one ledger row per effect key (a repeat finds it and does nothing).</summary>
    [Function(nameof(PostToLedger))]
    public async Task<bool> PostToLedger([ActivityTrigger] KeyedEffect input)
    {
        var p = WorkflowJson.To<WorkflowEffect>(input.Effect) as PostToLedger ?? throw new InvalidOperationException("Not a ledger post.");
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(PostToLedger), p.ClaimId);
        var claim = (await claims.GetAsync(p.ClaimId))?.Claim ?? throw new InvalidOperationException($"Claim {p.ClaimId} does not exist.");
        var row = new TableEntity(p.ApprovedAt.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), input.Key)
        {
            ["ClaimId"] = p.ClaimId,
            ["ClaimantId"] = p.ClaimantId,
            ["Amount"] = p.Amount.Amount.ToString(CultureInfo.InvariantCulture),
            ["Currency"] = p.Amount.Currency,
            ["ApprovedAt"] = p.ApprovedAt.UtcDateTime,
            ["Department"] = claim.Department,
            ["Category"] = claim.Fields.Category ?? "",
            ["Merchant"] = claim.Fields.Merchant ?? "",
            ["ExpenseDate"] = claim.Fields.ExpenseDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
        };
        bool posted;
        try
        {
            await storage.Ledger.AddEntityAsync(row);
            ReimburseTelemetry.ClaimApproved(clock.GetUtcNow() - claim.SubmittedAt);
            posted = true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Posted by an earlier attempt: exactly once by key.
            posted = false;
        }
        await events.PublishAsync("exported", $"{p.ClaimId}:exported", p.ClaimId, new
        {
            claimId = p.ClaimId, claimantId = p.ClaimantId, amount = p.Amount.Amount.ToString(CultureInfo.InvariantCulture), currency = p.Amount.Currency,
            approvedAt = p.ApprovedAt, department = claim.Department, url = $"/api/claims/{p.ClaimId}",
        });
        return posted;
    }

    /// <summary>Delivers a Notify effect (see <see cref="WorkflowNotifications"/>).</summary>
    [Function(nameof(DeliverNotification))]
    public async Task<bool> DeliverNotification([ActivityTrigger] NotificationDue input)
    {
        var notify = WorkflowJson.To<WorkflowEffect>(input.Effect.Effect) as Notify ?? throw new InvalidOperationException("Not a notification.");
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(DeliverNotification), input.ClaimId);
        span?.SetTag("reimburse.notification.template", notify.Template);
        var delivered = await notifications.DeliverAsync(input.ClaimId, input.Effect, notify);
        if (delivered && notify.Template == NotificationTemplates.ApprovalEscalated)
        {
            // An escalation is sent when a step passed the policy's escalateAfter: the approval SLA was missed.
            ReimburseTelemetry.ApprovalEscalated();
        }
        return delivered;
    }

    /// <summary>Carries out a ladder rung (SMS or call) exactly once by key; returns its delivery state. A provider failure is
    /// recorded as failed and the activity completes, so the workflow is never held by it.</summary>
    [Function(nameof(DeliverReach))]
    public async Task<string> DeliverReach([ActivityTrigger] NotificationDue input)
    {
        var effect = WorkflowJson.To<WorkflowEffect>(input.Effect.Effect) as Reach ?? throw new InvalidOperationException("Not a ladder rung.");
        var (policy, _) = await policies.GetAsync();
        var context = await policies.ContextAsync(policy);
        return await reach.DeliverAsync(input.ClaimId, input.Effect, effect, context.CalendarFor(effect.UserId).LocalDate(workflowClock.GetUtcNow()));
    }

    [LoggerMessage(EventId = 4410, Level = LogLevel.Debug, Message = "Claim {ClaimId}: workflow version {Version} {Outcome}")]
    private static partial void LogCommitted(ILogger logger, string claimId, int version, string outcome);
}
