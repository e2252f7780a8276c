using Reimburse.Core.Audit;
using Reimburse.Core.Claims;

namespace Reimburse.Functions.Audit;

/// <summary>Told (at least once, after commit, by the claim-change dispatcher) about audit entries newly appended to a
/// claim's chain — e.g. to keep the auditor's query indexes (by actor, department, day) up to date. Must be idempotent.</summary>
public interface IAuditEntryObserver
{
    Task OnCommittedAsync(Claim claim, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken = default);
}
