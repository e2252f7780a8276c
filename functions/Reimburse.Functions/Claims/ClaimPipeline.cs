using System.Text.Json;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Claims;

/// <summary>The claim-submitted handler: takes a submitted claim into the pipeline. Later stages (OCR, scoring, the
/// approval workflow) hang off this step. Idempotent: a second delivery finds the claim already received.</summary>
public sealed partial class ClaimSubmittedHandler(
    ClaimStore claims,
    ReimburseStorage storage,
    IEnumerable<IClaimPipelineStep> steps,
    TimeProvider clock,
    ILogger<ClaimSubmittedHandler> logger) : IQueueHandler
{
    /// <summary>How long a message may wait for its claim row: the row is written right after the message is sent.</summary>
    public static readonly TimeSpan OrphanAfter = TimeSpan.FromMinutes(2);

    public string FunctionName => "ClaimSubmitted";
    public string QueueName => ReimburseStorage.ClaimSubmittedQueue;

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        var message = QueueMessages.Decode<ClaimSubmitted>(invocation.MessageText);
        // The steps each read the claim the step before just wrote: answer those reads from memory (see RememberedReads).
        using var remembered = ClaimStore.RememberedReads(message.ClaimId);
        var stored = await claims.GetAsync(message.ClaimId, cancellationToken);
        // Intake sends the message a moment before it writes the claim, so a fast consumer can get here first. Wait a
        // little (the write is usually milliseconds away) rather than fail the attempt.
        for (var i = 1; stored is null && i <= 4; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50 * i), clock, cancellationToken);
            stored = await claims.GetAsync(message.ClaimId, cancellationToken);
        }
        if (stored is null)
        {
            if (clock.GetUtcNow() - message.SubmittedAt < OrphanAfter)
            {
                // Still not there (a slow or dying request): look again later with a fresh message, so the wait never
                // uses up delivery attempts and poisons a claim that is about to exist.
                await storage.ClaimSubmitted.SendMessageAsync(QueueMessages.Encode(message), TimeSpan.FromSeconds(2), cancellationToken: cancellationToken);
                LogNotYetVisible(logger, message.ClaimId);
                return;
            }
            // The request died between the two writes, so no 202 was ever sent: nothing was accepted, nothing is lost.
            LogOrphan(logger, message.ClaimId);
            return;
        }

        var (_, error) = await claims.ChangeAsync(message.ClaimId, current =>
        {
            var (next, err) = ClaimLifecycle.Receive(current.Claim, clock.GetUtcNow());
            return next is null
                ? (null, err)
                : (new ClaimChange(next, new AuditDraft("claim.received", "system", "system", null,
                    JsonSerializer.Serialize(new { status = next.Status.ToString(), receipts = next.Receipts.Count }))), null);
        }, cancellationToken, stored);
        if (error is { Code: "already-received" })
        {
            LogAlreadyDone(logger, message.ClaimId, stored.Claim.Status.ToString());
        }

        foreach (var step in steps.OrderBy(s => s.Order))
        {
            await step.RunAsync(message.ClaimId, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "Claim {ClaimId} is not visible yet; looking again shortly")]
    private static partial void LogNotYetVisible(ILogger logger, string claimId);

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Dropping message for claim {ClaimId}: it was never written")]
    private static partial void LogOrphan(ILogger logger, string claimId);

    [LoggerMessage(EventId = 401, Level = LogLevel.Debug, Message = "Claim {ClaimId} already processed ({Status})")]
    private static partial void LogAlreadyDone(ILogger logger, string claimId, string status);
}

/// <summary>Messages that failed every attempt: the claim is kept and flagged for a person, never lost.</summary>
public sealed partial class ClaimSubmittedPoisonHandler(ClaimStore claims, TimeProvider clock, ILogger<ClaimSubmittedPoisonHandler> logger) : IQueueHandler
{
    public string FunctionName => "ClaimSubmittedPoison";
    public string QueueName => ReimburseStorage.ClaimSubmittedQueue + "-poison";

    public async Task HandleAsync(QueueInvocation invocation, CancellationToken cancellationToken = default)
    {
        ClaimSubmitted message;
        try
        {
            message = QueueMessages.Decode<ClaimSubmitted>(invocation.MessageText);
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            LogUnreadable(logger, invocation.MessageId ?? "?");
            return;
        }
        var (_, error) = await claims.ChangeAsync(message.ClaimId, current =>
        {
            var (next, err) = ClaimLifecycle.NeedAttention(current.Claim, "processing failed repeatedly", clock.GetUtcNow());
            return next is null ? (null, err) : (new ClaimChange(next, new AuditDraft("claim.needs-attention", "system", "system", null,
                JsonSerializer.Serialize(new { reason = "processing failed repeatedly", attempts = invocation.DequeueCount }))), null);
        }, cancellationToken);
        LogFlagged(logger, message.ClaimId, error?.Code ?? "flagged");
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Error, Message = "Claim {ClaimId} reached the poison queue: {Outcome}")]
    private static partial void LogFlagged(ILogger logger, string claimId, string outcome);

    [LoggerMessage(EventId = 411, Level = LogLevel.Error, Message = "Unreadable poison message {MessageId}")]
    private static partial void LogUnreadable(ILogger logger, string messageId);
}
