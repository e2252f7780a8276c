using System.Text.Json;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Company;
using Reimburse.Functions.Identity;

namespace Reimburse.Functions.Security;

/// <summary>The management chain as the default "must decide" rule; the workflow runtime registers more
/// <see cref="IClaimAssignments"/> (current approvers, escalation tiers, delegates).</summary>
public sealed class ManagementChainAssignments(CompanyProvider companies) : IClaimAssignments
{
    public async ValueTask<bool> IsAssignedAsync(User user, Claim claim, CancellationToken cancellationToken = default) =>
        AccessMatrix.InManagementChain(user.Id, claim.OwnerId, await companies.GetAsync(cancellationToken));
}

/// <summary>Endpoints ask here: the matrix decides, denials are written to the access log, allowed reads are recorded.</summary>
public sealed class AccessGuard(CompanyProvider companies, IEnumerable<IClaimAssignments> assignments, AccessLog log)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Decides; a denial is logged (outcome Denied) before this returns.</summary>
    public async Task<AccessDecision> CheckAsync(Caller caller, AccessAction action, AccessTarget target, CancellationToken cancellationToken = default)
    {
        var decision = await DecideAsync(caller.User, action, target, cancellationToken);
        if (!decision.Allowed)
        {
            await DenyAsync(caller, action, target, decision.Reason, cancellationToken);
        }
        return decision;
    }

    /// <summary>Decides without logging (e.g. to choose between 403 and 404 after a logged denial).</summary>
    public async Task<AccessDecision> DecideAsync(User user, AccessAction action, AccessTarget target, CancellationToken cancellationToken = default)
    {
        var company = await companies.GetAsync(cancellationToken);
        var decision = AccessMatrix.Decide(user, action, target, company);
        if (decision.Allowed || target.Claim is not { } claim || !AccessMatrix.ScopesFor(user, action).Contains(AccessScope.Assigned))
        {
            return decision;
        }
        foreach (var a in assignments)
        {
            if (await a.IsAssignedAsync(user, claim, cancellationToken))
            {
                return AccessMatrix.Decide(user, action, target, company, assigned: true);
            }
        }
        return decision;
    }

    /// <summary>Logs a denial that was decided elsewhere (e.g. the object does not exist).</summary>
    public Task DenyAsync(Caller caller, AccessAction action, AccessTarget target, string reason, CancellationToken cancellationToken = default, string? objectId = null) =>
        log.AppendAsync(Record(caller, AccessActions.Name(action), AuditOutcome.Denied, target.Claim?.Id ?? objectId, target.Department,
            new Dictionary<string, object?> { ["reason"] = reason }), cancellationToken);

    /// <summary>Records an allowed read.</summary>
    public Task RecordAsync(Caller caller, AccessAction action, AccessTarget target, IDictionary<string, object?>? details = null, CancellationToken cancellationToken = default) =>
        log.AppendAsync(Record(caller, AccessActions.Name(action), AuditOutcome.Allowed, target.Claim?.Id, target.Department, details), cancellationToken);

    private static AccessRecord Record(Caller caller, string action, AuditOutcome outcome, string? claimId, string? department, IDictionary<string, object?>? details)
    {
        var d = new Dictionary<string, object?>();
        if (claimId is not null) d["claimId"] = claimId;
        foreach (var (k, v) in details ?? new Dictionary<string, object?>()) d[k] = v;
        return new AccessRecord(action, caller.Id, caller.PrimaryRole, caller.SourceIp, outcome, claimId, department ?? (claimId is null ? caller.User.Department : null),
            JsonSerializer.Serialize(d, Json));
    }
}
