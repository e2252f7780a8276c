using Reimburse.Core.Claims;
using Reimburse.Core.Company;

namespace Reimburse.Functions.Security;

/// <summary>Everything an endpoint can ask permission for. The audit action name of each is <see cref="AccessActions.Name"/>.</summary>
public enum AccessAction
{
    ClaimCreate,
    ClaimList,
    ClaimRead,
    ReceiptRead,
    ClaimSubmitDraft,
    ClaimWithdraw,
    ClaimDecide,
    AuditQuery,
    AuditVerify,
    AuditExport,
    KpiRead,
    OwnDataExport,
    PolicyManage,
    UserManage,
    /// <summary>Name a delegate for one's own approvals for a date range, list and revoke one's delegations.</summary>
    DelegationManage,
    /// <summary>Create and read export batches of approved claims (finance for its departments, admin for all).</summary>
    ExportManage,
    /// <summary>Company-wide accounting set-up: mappings, exchange rates, Xero/QuickBooks connections.</summary>
    AccountingSetup,
}

/// <summary>Which objects a role may touch for an action, from narrowest to widest.</summary>
public enum AccessScope
{
    /// <summary>Not allowed.</summary>
    None,
    /// <summary>Only about the caller (their own list, their own data export); no other object.</summary>
    Self,
    /// <summary>Claims the caller owns or submitted.</summary>
    Own,
    /// <summary>Claims the caller must decide: the claimant's management chain, plus whatever
    /// <see cref="IClaimAssignments"/> implementations add (the workflow's current approvers).</summary>
    Assigned,
    /// <summary>Claims (or KPIs) of the departments a finance user covers.</summary>
    FinanceDepartments,
    /// <summary>Every object of the company.</summary>
    Any,
}

/// <summary>The object of a check: a claim, or a department (KPIs), or nothing (the caller's own data).</summary>
public sealed record AccessTarget(Claim? Claim = null, string? Department = null)
{
    public static readonly AccessTarget None = new();
    public static AccessTarget For(Claim claim) => new(claim, claim.Department);
    public static AccessTarget ForDepartment(string? department) => new(null, department);
}

/// <summary>The outcome of a check and why (the reason goes into the audit log on a denial, never to the client).</summary>
public sealed record AccessDecision(bool Allowed, AccessScope Scope, string Reason)
{
    public static AccessDecision Deny(string reason) => new(false, AccessScope.None, reason);
}

/// <summary>Lets another feature (the approval workflow runtime) say that a user must decide a claim, e.g. because they are
/// a current approver, an escalation target or a delegate. Implementations are asked only when the management chain
/// does not already grant access.</summary>
public interface IClaimAssignments
{
    ValueTask<bool> IsAssignedAsync(User user, Claim claim, CancellationToken cancellationToken = default);
}

/// <summary>Stable audit action names of <see cref="AccessAction"/>.</summary>
public static class AccessActions
{
    public static string Name(AccessAction action) => action switch
    {
        AccessAction.ClaimCreate => "claim.create",
        AccessAction.ClaimList => "claim.list",
        AccessAction.ClaimRead => "claim.read",
        AccessAction.ReceiptRead => "receipt.read",
        AccessAction.ClaimSubmitDraft => "claim.submit-draft",
        AccessAction.ClaimWithdraw => "claim.withdraw",
        AccessAction.ClaimDecide => "claim.decide",
        AccessAction.AuditQuery => "audit.query",
        AccessAction.AuditVerify => "audit.verify",
        AccessAction.AuditExport => "audit.export",
        AccessAction.KpiRead => "kpi.read",
        AccessAction.OwnDataExport => "me.export",
        AccessAction.PolicyManage => "policy.manage",
        AccessAction.UserManage => "user.manage",
        AccessAction.DelegationManage => "delegation.manage",
        AccessAction.ExportManage => "export.manage",
        AccessAction.AccountingSetup => "accounting.setup",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };
}

/// <summary>Role × action × scope: the single table every endpoint consults. Pure; the assignment hook is asked by
/// <see cref="AccessGuard"/> only for the <see cref="AccessScope.Assigned"/> scope.</summary>
public static class AccessMatrix
{
    /// <summary>The matrix. A user with several roles gets the union; <see cref="Forbidden"/> overrides it.</summary>
    public static readonly IReadOnlyDictionary<Role, IReadOnlyDictionary<AccessAction, AccessScope>> Grants =
        new Dictionary<Role, IReadOnlyDictionary<AccessAction, AccessScope>>
        {
            [Role.Employee] = new Dictionary<AccessAction, AccessScope>
            {
                [AccessAction.ClaimCreate] = AccessScope.Self,
                [AccessAction.ClaimList] = AccessScope.Self,
                [AccessAction.ClaimRead] = AccessScope.Own,
                [AccessAction.ReceiptRead] = AccessScope.Own,
                [AccessAction.ClaimSubmitDraft] = AccessScope.Own,
                [AccessAction.ClaimWithdraw] = AccessScope.Own,
                [AccessAction.OwnDataExport] = AccessScope.Self,
            },
            [Role.Approver] = new Dictionary<AccessAction, AccessScope>
            {
                [AccessAction.ClaimList] = AccessScope.Self,
                [AccessAction.ClaimRead] = AccessScope.Assigned,
                [AccessAction.ReceiptRead] = AccessScope.Assigned,
                [AccessAction.ClaimDecide] = AccessScope.Assigned,
                [AccessAction.OwnDataExport] = AccessScope.Self,
                [AccessAction.DelegationManage] = AccessScope.Self,
            },
            [Role.Finance] = new Dictionary<AccessAction, AccessScope>
            {
                [AccessAction.ClaimList] = AccessScope.Self,
                [AccessAction.ClaimRead] = AccessScope.FinanceDepartments,
                [AccessAction.ReceiptRead] = AccessScope.FinanceDepartments,
                [AccessAction.ClaimDecide] = AccessScope.Assigned,
                [AccessAction.KpiRead] = AccessScope.FinanceDepartments,
                [AccessAction.OwnDataExport] = AccessScope.Self,
                [AccessAction.DelegationManage] = AccessScope.Self,
                [AccessAction.ExportManage] = AccessScope.FinanceDepartments,
                [AccessAction.AccountingSetup] = AccessScope.Any,
            },
            [Role.Auditor] = new Dictionary<AccessAction, AccessScope>
            {
                [AccessAction.ClaimList] = AccessScope.Self,
                [AccessAction.ClaimRead] = AccessScope.Any,
                [AccessAction.ReceiptRead] = AccessScope.Any,
                [AccessAction.AuditQuery] = AccessScope.Any,
                [AccessAction.AuditVerify] = AccessScope.Any,
                [AccessAction.AuditExport] = AccessScope.Any,
                [AccessAction.KpiRead] = AccessScope.Any,
                [AccessAction.OwnDataExport] = AccessScope.Self,
            },
            [Role.Admin] = new Dictionary<AccessAction, AccessScope>
            {
                [AccessAction.ClaimList] = AccessScope.Self,
                [AccessAction.PolicyManage] = AccessScope.Any,
                [AccessAction.UserManage] = AccessScope.Any,
                [AccessAction.OwnDataExport] = AccessScope.Self,
                [AccessAction.ExportManage] = AccessScope.Any,
                [AccessAction.AccountingSetup] = AccessScope.Any,
            },
        };

    /// <summary>Segregation of duties: an admin (who can change policy and users) may never approve, whatever else they hold.</summary>
    public static readonly IReadOnlyDictionary<Role, IReadOnlySet<AccessAction>> Forbidden = new Dictionary<Role, IReadOnlySet<AccessAction>>
    {
        [Role.Admin] = new HashSet<AccessAction> { AccessAction.ClaimDecide },
        // Auditors check the process; deciding within it would make them audit themselves.
        [Role.Auditor] = new HashSet<AccessAction> { AccessAction.ClaimDecide },
    };

    /// <summary>The scopes the user's roles grant for an action, widest first (empty when forbidden or not granted).</summary>
    public static IReadOnlyList<AccessScope> ScopesFor(User user, AccessAction action)
    {
        if (user.Roles.Any(r => Forbidden.TryGetValue(r, out var f) && f.Contains(action)))
        {
            return [];
        }
        return user.Roles
            .Select(r => Grants.TryGetValue(r, out var g) && g.TryGetValue(action, out var s) ? s : AccessScope.None)
            .Where(s => s != AccessScope.None)
            .Distinct()
            .OrderByDescending(s => s)
            .ToList();
    }

    /// <summary>Checks every scope except <see cref="AccessScope.Assigned"/>'s hook (pass its answer in
    /// <paramref name="assigned"/>, or null to have the management chain alone decide).</summary>
    public static AccessDecision Decide(User user, AccessAction action, AccessTarget target, CompanyDirectory company, bool? assigned = null)
    {
        var scopes = ScopesFor(user, action);
        if (scopes.Count == 0)
        {
            return AccessDecision.Deny($"no role of {user.Id} grants {AccessActions.Name(action)}");
        }
        if (target.Claim is { } claim && claim.CompanyId != company.Id)
        {
            return AccessDecision.Deny("the claim belongs to another company");
        }
        foreach (var scope in scopes)
        {
            if (Covers(user, scope, target, company, assigned))
            {
                return new AccessDecision(true, scope, $"{scope} scope");
            }
        }
        return AccessDecision.Deny($"{AccessActions.Name(action)} outside {string.Join("/", scopes)} scope");
    }

    private static bool Covers(User user, AccessScope scope, AccessTarget target, CompanyDirectory company, bool? assigned) => scope switch
    {
        AccessScope.Any => true,
        AccessScope.Self => target.Claim is null && target.Department is null,
        AccessScope.Own => target.Claim is { } c && (c.OwnerId == user.Id || c.SubmittedBy == user.Id),
        AccessScope.Assigned => target.Claim is { } c && (InManagementChain(user.Id, c.OwnerId, company) || assigned == true),
        AccessScope.FinanceDepartments => target.Claim is { } c
            ? user.FinanceDepartments.Contains(c.Department)
            : target.Department is { } d && user.FinanceDepartments.Contains(d),
        _ => false,
    };

    /// <summary>True when <paramref name="userId"/> is above <paramref name="ownerId"/> in the management chain.</summary>
    public static bool InManagementChain(string userId, string ownerId, CompanyDirectory company)
    {
        var manager = company.FindUser(ownerId)?.Manager;
        for (var depth = 0; manager is not null && depth < 16; depth++)
        {
            if (manager == userId) return true;
            manager = company.FindUser(manager)?.Manager;
        }
        return false;
    }
}
