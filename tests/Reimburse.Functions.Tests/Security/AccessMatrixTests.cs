using Reimburse.Core.Claims;
using Reimburse.Core.Company;
using Reimburse.Functions.Company;
using Reimburse.Functions.Security;

namespace Reimburse.Tests.Security;

public sealed class AccessMatrixTests
{
    private static readonly CompanyDirectory Company = CompanyLoader.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "seed", "harbour-trading", "company.yaml")));

    private static Claim ClaimOf(string owner, string department) => new("clm_test", Company.Id, owner, department, owner, ClaimSource.Api, ClaimStatus.Submitted,
        ClaimFields.Empty, [], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private static bool Allowed(string userId, AccessAction action, AccessTarget target, bool? assigned = null) =>
        AccessMatrix.Decide(Company.FindUser(userId)!, action, target, Company, assigned).Allowed;

    [Fact]
    public void Decide_OwnerReadsOwnClaim_Allowed() =>
        Assert.True(Allowed("emp-chan", AccessAction.ClaimRead, AccessTarget.For(ClaimOf("emp-chan", "sales"))));

    [Fact]
    public void Decide_EmployeeReadsColleaguesClaim_Denied() =>
        Assert.False(Allowed("emp-tam", AccessAction.ClaimRead, AccessTarget.For(ClaimOf("emp-chan", "sales"))));

    [Fact]
    public void Decide_ManagerUpTheChain_MayReadAndDecide()
    {
        var target = AccessTarget.For(ClaimOf("emp-chan", "sales"));
        Assert.True(Allowed("head-ho", AccessAction.ClaimRead, target));
        Assert.True(Allowed("mgr-wong", AccessAction.ClaimDecide, target));
    }

    [Fact]
    public void Decide_ApproverOfAnotherChain_DeniedUnlessTheWorkflowAssignsThem()
    {
        var target = AccessTarget.For(ClaimOf("emp-chan", "sales"));
        Assert.False(Allowed("mgr-lau", AccessAction.ClaimDecide, target));
        Assert.True(Allowed("mgr-lau", AccessAction.ClaimDecide, target, assigned: true));
    }

    [Fact]
    public void Decide_FinanceUser_ReadsOnlyTheirDepartments()
    {
        var user = Company.FindUser("fin-lam")! with { FinanceDepartments = new HashSet<string> { "operations" } };
        Assert.True(AccessMatrix.Decide(user, AccessAction.ClaimRead, AccessTarget.For(ClaimOf("emp-lee", "operations")), Company).Allowed);
        Assert.False(AccessMatrix.Decide(user, AccessAction.ClaimRead, AccessTarget.For(ClaimOf("emp-tam", "sales")), Company).Allowed);
        Assert.False(AccessMatrix.Decide(user, AccessAction.KpiRead, AccessTarget.ForDepartment("sales"), Company).Allowed);
    }

    [Fact]
    public void Decide_AuditorIsReadOnly()
    {
        var target = AccessTarget.For(ClaimOf("emp-chan", "sales"));
        Assert.True(Allowed("aud-yip", AccessAction.ClaimRead, target));
        Assert.True(Allowed("aud-yip", AccessAction.AuditExport, AccessTarget.None));
        Assert.False(Allowed("aud-yip", AccessAction.ClaimDecide, target, assigned: true));
        Assert.False(Allowed("aud-yip", AccessAction.ClaimSubmitDraft, target));
    }

    [Fact]
    public void Decide_AdminManagesPolicyButNeverApproves_EvenWhenAssigned()
    {
        var admin = Company.FindUser("admin")!;
        var adminApprover = admin with { Roles = new HashSet<Role> { Role.Admin, Role.Approver } };
        var target = AccessTarget.For(ClaimOf("emp-chan", "sales"));
        Assert.True(AccessMatrix.Decide(admin, AccessAction.PolicyManage, AccessTarget.None, Company).Allowed);
        Assert.False(AccessMatrix.Decide(admin, AccessAction.ClaimRead, target, Company).Allowed);
        Assert.False(AccessMatrix.Decide(adminApprover, AccessAction.ClaimDecide, target, Company, assigned: true).Allowed);
    }

    [Fact]
    public void Decide_ClaimOfAnotherCompany_DeniedEvenForAuditor() =>
        Assert.False(Allowed("aud-yip", AccessAction.ClaimRead, AccessTarget.For(ClaimOf("emp-chan", "sales") with { CompanyId = "other" })));

    [Fact]
    public void Decide_NonAuditorsOnAuditLog_Denied()
    {
        foreach (var user in Company.Users.Where(u => !u.Has(Role.Auditor)))
        {
            Assert.False(AccessMatrix.Decide(user, AccessAction.AuditQuery, AccessTarget.None, Company).Allowed, user.Id);
        }
    }
}
