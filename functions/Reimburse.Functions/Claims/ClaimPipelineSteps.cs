namespace Reimburse.Functions.Claims;

/// <summary>One stage of the claim-submitted pipeline after the claim is Received: read receipts, score risk, start the
/// approval workflow. Steps run in <see cref="Order"/>; each must be idempotent (a redelivered message runs it again) and
/// record its result on the claim through <see cref="ClaimStore.ChangeAsync"/> so the next step and a retry can see it.</summary>
public interface IClaimPipelineStep
{
    /// <summary>Receipts 100, risk 200, workflow 300.</summary>
    int Order { get; }

    string Name { get; }

    Task RunAsync(string claimId, CancellationToken cancellationToken = default);
}
