using Reimburse.Core.Claims;
using Reimburse.Core.Company;

namespace Reimburse.Functions.Claims;

/// <summary>Who may read a claim. One place, so every endpoint asks the same question.</summary>
public static class ClaimAccess
{
    public static bool CanRead(User user, Claim claim, CompanyDirectory company)
    {
        if (claim.CompanyId != company.Id)
        {
            return false;
        }
        if (user.Id == claim.OwnerId || user.Id == claim.SubmittedBy)
        {
            return true;
        }
        if (user.Has(Role.Auditor))
        {
            return true;
        }
        if (user.Has(Role.Finance) && user.FinanceDepartments.Contains(claim.Department))
        {
            return true;
        }
        // Approvers see claims of the people below them in the management chain.
        if (user.Has(Role.Approver))
        {
            var manager = company.FindUser(claim.OwnerId)?.Manager;
            for (var depth = 0; manager is not null && depth < 10; depth++)
            {
                if (manager == user.Id) return true;
                manager = company.FindUser(manager)?.Manager;
            }
        }
        return false;
    }
}
