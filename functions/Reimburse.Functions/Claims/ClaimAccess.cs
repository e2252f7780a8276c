using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Claims;

/// <summary>Who may read a claim — kept for callers written against it; the rule itself is <see cref="AccessMatrix"/>
/// (without the workflow's assignment hook, and without logging: endpoints use <see cref="AccessGuard"/>).</summary>
public static class ClaimAccess
{
    public static bool CanRead(User user, Claim claim, CompanyDirectory company) =>
        AccessMatrix.Decide(user, AccessAction.ClaimRead, AccessTarget.For(claim), company).Allowed;
}
