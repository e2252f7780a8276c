using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Reimburse.Core.Approvals;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Receipts;
using Reimburse.Functions.Risk;

namespace Reimburse.Functions.Claims;

/// <summary>Input of a claim's orchestration (instance id = claim id). After a returned round it continues as new with the
/// state so far, the number of rounds run and, for a withdrawal of the returned claim, that event.</summary>
public sealed record ClaimStarted(string ClaimId, ClockAnchor Clock, string? State = null, int Round = 0, WorkflowEvent? Withdrawal = null, bool AwaitingClaimant = false);

/// <summary>What <see cref="ClaimIntake.PlanApproval"/> decided: the input that starts the next round, or why none can.</summary>
public sealed record ApprovalPlan(string? Start, WorkflowContextData? Context, string? Problem);

/// <summary>
/// One orchestration per claim, instance id = claim id (a retried submit finds it and cannot start a second): receive the
/// claim → read its receipts (OCR) → score risk → approval round (<see cref="ApprovalOrchestration"/>, instance
/// <c>{claimId}:r{n}</c>) → post to the ledger → notify the claimant. A returned claim waits here for the claimant's
/// resubmission (then intake runs again and a new round starts) or withdrawal.
/// </summary>
public sealed partial class ClaimOrchestration
{
    /// <summary>Intake writes the claim row right after it schedules this orchestration; a row not there yet is looked for
    /// again this often, this many times (then the submit died before its 202 and nothing was accepted).</summary>
    private static readonly TimeSpan MissingRetry = TimeSpan.FromSeconds(2);
    private const int MissingAttempts = 60;

    /// <summary>Periodic checks of a returned claim before its wait starts a fresh history.</summary>
    private const int ChecksPerHistory = 50;

    /// <summary>Receipt reading and scoring retry with back-off (an OCR engine warming up, a storage hiccup).</summary>
    private static readonly TaskOptions IntakeRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(30)));

    [Function(nameof(ClaimOrchestration))]
    public async Task<string> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        try
        {
            return await RunClaimAsync(context);
        }
        catch (Exception) when (!context.IsReplaying && ReimburseTelemetry.OrchestrationFailed(nameof(ClaimOrchestration)))
        {
            throw; // not reached: the filter counts the failure and lets the exception fail the orchestration as before
        }
    }

    private static async Task<string> RunClaimAsync(TaskOrchestrationContext context)
    {
        var start = context.GetInput<ClaimStarted>() ?? throw new InvalidOperationException("No claim input.");
        var id = start.ClaimId;
        var logger = context.CreateReplaySafeLogger<ClaimOrchestration>();
        var state = start.State is null ? WorkflowState.New(id) : WorkflowJson.To<WorkflowState>(start.State);
        var withdrawal = start.Withdrawal;
        if (start.AwaitingClaimant)
        {
            return await AwaitClaimantAsync(context, start, state, start.Round);
        }
        ApprovalPlan plan;
        if (withdrawal is null)
        {
            for (var attempt = 1; ; attempt++)
            {
                var received = await context.CallActivityAsync<string>(nameof(ClaimIntake.ReceiveClaim), id, ApprovalOrchestration.Retry);
                if (received != ClaimIntake.Missing)
                {
                    break;
                }
                if (attempt >= MissingAttempts)
                {
                    LogOrphan(logger, id);
                    return "orphan";
                }
                await context.CreateTimer(MissingRetry, CancellationToken.None);
            }
            try
            {
                await context.CallActivityAsync<bool>(nameof(ClaimIntake.ReadReceipts), id, IntakeRetry);
                await context.CallActivityAsync<bool>(nameof(ClaimIntake.ScoreRisk), id, IntakeRetry);
            }
            catch (TaskFailedException ex)
            {
                // Kept and flagged for a person, never lost.
                await context.CallActivityAsync<bool>(nameof(ClaimIntake.FlagClaim), new ClaimFlag(id, "processing failed repeatedly", ex.FailureDetails.ErrorMessage), ApprovalOrchestration.Retry);
                return "needs-attention";
            }
            plan = await context.CallActivityAsync<ApprovalPlan>(nameof(ClaimIntake.PlanApproval), new ApprovalPlanRequest(id, WorkflowJson.Of(state)), ApprovalOrchestration.Retry);
            if (plan.Start is null)
            {
                return "needs-attention";
            }
        }
        else
        {
            plan = new ApprovalPlan(withdrawal.Input, withdrawal.Context, null);
        }

        var round = start.Round + 1;
        var run = new ApprovalRun(id, WorkflowJson.Of(state), plan.Start!, plan.Context!, start.Clock, withdrawal?.ActorRole, withdrawal?.SourceIp);
        var outcome = await context.CallSubOrchestratorAsync<ApprovalOutcome>(nameof(ApprovalOrchestration), run,
            new SubOrchestrationOptions { InstanceId = ApprovalOrchestration.InstanceId(id, round) });
        state = WorkflowJson.To<WorkflowState>(outcome.State);
        context.SetCustomStatus(new ApprovalProgress(state.Status.ToString(), state.Round, state.StepIndex, state.EscalationLevel, state.Version, [], null));

        // Post to the ledger, then tell the claimant.
        foreach (var effect in outcome.Completion.Where(e => WorkflowJson.To<WorkflowEffect>(e.Effect) is PostToLedger))
        {
            await context.CallActivityAsync<bool>(nameof(WorkflowActivities.PostToLedger), effect, ApprovalOrchestration.Retry);
        }
        foreach (var effect in outcome.Completion.Where(e => WorkflowJson.To<WorkflowEffect>(e.Effect) is Notify))
        {
            await context.CallActivityAsync<bool>(nameof(WorkflowActivities.DeliverNotification), new NotificationDue(id, effect), ApprovalOrchestration.Retry);
        }
        if (state.Status != WorkflowStatus.Returned)
        {
            return state.Status.ToString();
        }

        return await AwaitClaimantAsync(context, start, state, round);
    }

    /// <summary>Back with the claimant: a resubmission (intake again, then a new round) or a withdrawal (a round of its own),
    /// each in a fresh history. A resubmission event is confirmed against the claim (a duplicate delivered late must not
    /// start a round); a periodic check finds a resubmission or withdrawal whose event was lost with a crashed process.</summary>
    private static async Task<string> AwaitClaimantAsync(TaskOrchestrationContext context, ClaimStarted start, WorkflowState state, int round)
    {
        var check = new WakeRequest(start.ClaimId, WorkflowJson.Of(state));
        Task<WorkflowEvent>? incoming = null;
        for (var i = 0; i < ChecksPerHistory; i++)
        {
            incoming ??= context.WaitForExternalEvent<WorkflowEvent>(ApprovalOrchestration.EventName);
            using var cancel = new CancellationTokenSource();
            var timer = context.CreateTimer(context.CurrentUtcDateTime + start.Clock.Recheck, cancel.Token);
            WorkflowEvent? next = null;
            if (await Task.WhenAny(incoming, timer) == incoming)
            {
                cancel.Cancel();
                next = await incoming;
                incoming = null;
            }
            if (next is null || next.Resubmit)
            {
                next = await context.CallActivityAsync<WorkflowEvent?>(nameof(WorkflowActivities.ReturnedClaimInput), check, ApprovalOrchestration.Retry);
            }
            if (next is not null)
            {
                context.ContinueAsNew(start with { State = WorkflowJson.Of(state), Round = round, Withdrawal = next.Resubmit ? null : next, AwaitingClaimant = false });
                return "returned";
            }
        }
        context.ContinueAsNew(start with { State = WorkflowJson.Of(state), Round = round, Withdrawal = null, AwaitingClaimant = true });
        return "returned";
    }

    /// <summary>Starts the claim's orchestration. A second start for the same claim (a retried submit) finds the instance
    /// and starts nothing; false then.</summary>
    public static async Task<bool> StartAsync(DurableTaskClient client, string claimId, ClockAnchor clock, CancellationToken cancellationToken = default)
    {
        // The trace context of this span travels with the start request: the orchestration's spans continue the trace.
        using var span = ReimburseTelemetry.StartClaimActivity("ClaimOrchestration.Start", claimId, System.Diagnostics.ActivityKind.Producer);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(ClaimOrchestration), new ClaimStarted(claimId, clock),
                new StartOrchestrationOptions(claimId), cancellationToken);
            return true;
        }
        catch (global::DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "Claim {ClaimId} was never written; its orchestration ends")]
    private static partial void LogOrphan(ILogger logger, string claimId);
}

/// <summary>Input of <see cref="ClaimIntake.PlanApproval"/>: the workflow state so far (new, or returned).</summary>
public sealed record ApprovalPlanRequest(string ClaimId, string State);

/// <summary>Input of <see cref="ClaimIntake.FlagClaim"/>.</summary>
public sealed record ClaimFlag(string ClaimId, string Reason, string? Detail);

/// <summary>The claim orchestration's intake activities. Each is idempotent: it looks at the claim's status and what the
/// step already recorded on the claim row before it changes anything.</summary>
public sealed partial class ClaimIntake(
    ClaimStore claims,
    ReceiptsStep receipts,
    RiskStep risk,
    PolicyProvider policies,
    WorkflowClock workflowClock,
    TimeProvider clock,
    ILogger<ClaimIntake> logger,
    Events.ClaimEventPublisher events)
{
    public const string Missing = "missing";

    /// <summary>Submitted → Received (audit "claim.received"). Returns the claim's status afterwards, or <see cref="Missing"/>
    /// while there is no submitted claim yet.</summary>
    [Function(nameof(ReceiveClaim))]
    public async Task<string> ReceiveClaim([ActivityTrigger] string claimId)
    {
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(ReceiveClaim), claimId);
        var (stored, error) = await claims.ChangeAsync(claimId, current =>
        {
            var (next, err) = ClaimLifecycle.Receive(current.Claim, clock.GetUtcNow());
            return next is null
                ? (null, err)
                : (new ClaimChange(next, new AuditDraft("claim.received", "system", "system", null,
                    JsonSerializer.Serialize(new { status = next.Status.ToString(), receipts = next.Receipts.Count }))), null);
        });
        // A draft's orchestration starts before the owner submits it: a draft still waits, like a row not written yet.
        if (error is { Code: "not-found" } || stored is null || stored.Claim.Status == ClaimStatus.Draft)
        {
            return Missing;
        }
        if (stored.Claim.SubmittedAt is { } submittedAt)
        {
            var c = stored.Claim;
            await events.PublishAsync("submitted", $"{claimId}:submitted:{submittedAt.UtcTicks}", claimId, new
            {
                claimId, ownerId = c.OwnerId, department = c.Department, amount = c.Fields.Amount?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                currency = c.Fields.Currency, category = c.Fields.Category, merchant = c.Fields.Merchant, url = $"/api/claims/{claimId}",
            });
        }
        return stored.Claim.Status.ToString();
    }

    [Function(nameof(ReadReceipts))]
    public async Task<bool> ReadReceipts([ActivityTrigger] string claimId)
    {
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(ReadReceipts), claimId);
        var started = clock.GetTimestamp();
        await receipts.RunAsync(claimId);
        ReimburseTelemetry.ReceiptsRead(clock.GetElapsedTime(started));
        return true;
    }

    [Function(nameof(ScoreRisk))]
    public async Task<bool> ScoreRisk([ActivityTrigger] string claimId)
    {
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(ScoreRisk), claimId);
        await risk.RunAsync(claimId);
        if (await claims.GetAsync(claimId) is { } scored
            && string.Equals(scored.Raw.GetString(WorkflowRows.RiskLevelProperty), "High", StringComparison.OrdinalIgnoreCase))
        {
            await events.PublishAsync("flagged.high", $"{claimId}:flagged.high", claimId, new { claimId, riskLevel = "High", url = $"/api/claims/{claimId}" });
        }
        return true;
    }

    /// <summary>Plans the route of a Received claim (finance review when risk scoring marked it High) and returns the input
    /// that starts its approval round: Submitted, or Resubmitted for a returned claim. An unplannable claim goes to
    /// NeedsAttention with the planner's reason.</summary>
    [Function(nameof(PlanApproval))]
    public async Task<ApprovalPlan> PlanApproval([ActivityTrigger] ApprovalPlanRequest request)
    {
        using var span = ReimburseTelemetry.StartClaimActivity(nameof(PlanApproval), request.ClaimId);
        var (policy, company) = await policies.GetAsync();
        var context = await policies.ContextAsync(policy);
        var stored = await claims.GetAsync(request.ClaimId) ?? throw new InvalidOperationException($"Claim {request.ClaimId} does not exist.");
        var claim = stored.Claim;
        var state = WorkflowJson.To<WorkflowState>(request.State);
        var now = workflowClock.GetUtcNow();
        var highRisk = string.Equals(stored.Raw.GetString(WorkflowRows.RiskLevelProperty), "High", StringComparison.OrdinalIgnoreCase);
        var plan = claim.Fields.Money is { } money && claim.Fields.Category is { } category
            ? RoutePlanner.Plan(policy, company, new RouteRequest(claim.OwnerId, claim.SubmittedBy, money, category, now, highRisk))
            : new RouteUnplannable(RoutingErrorCode.EmptyRoute, "The claim has no amount or category.");
        if (plan is RouteUnplannable unplannable)
        {
            await FlagClaim(new ClaimFlag(request.ClaimId, "no approval route: " + unplannable.Message, unplannable.Code.ToString()));
            return new ApprovalPlan(null, null, unplannable.Message);
        }
        var route = ((RoutePlanned)plan).Route;
        WorkflowInput input = state.Status == WorkflowStatus.Returned
            ? new Resubmitted(claim.SubmittedBy, claim.Fields.Money!.Value, route, null)
            : new Submitted(claim.OwnerId, claim.SubmittedBy, claim.Fields.Money!.Value, route);
        if (ApprovalWorkflow.Decide(state, input, now, context) is Refused refused)
        {
            await FlagClaim(new ClaimFlag(request.ClaimId, "workflow refused the route: " + refused.Error.Message, refused.Error.Code.ToString()));
            return new ApprovalPlan(null, null, refused.Error.Message);
        }
        return new ApprovalPlan(WorkflowJson.Of(input), WorkflowContextData.From(context), null);
    }

    /// <summary>Moves the claim to NeedsAttention with the reason (for a person to look at).</summary>
    [Function(nameof(FlagClaim))]
    public async Task<bool> FlagClaim([ActivityTrigger] ClaimFlag flag)
    {
        var (_, error) = await claims.ChangeAsync(flag.ClaimId, current =>
        {
            var (next, err) = ClaimLifecycle.NeedAttention(current.Claim, flag.Reason, clock.GetUtcNow());
            return next is null
                ? (null, err)
                : (new ClaimChange(next, new AuditDraft("claim.needs-attention", "system", "system", null,
                    JsonSerializer.Serialize(new { reason = flag.Reason, code = flag.Detail }))), null);
        });
        LogFlagged(logger, flag.ClaimId, flag.Reason, error?.Code ?? "flagged");
        return error is null;
    }

    [LoggerMessage(EventId = 421, Level = LogLevel.Warning, Message = "Claim {ClaimId} needs attention ({Reason}): {Outcome}")]
    private static partial void LogFlagged(ILogger logger, string claimId, string reason, string outcome);
}
