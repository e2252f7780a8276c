using Reimburse.Core;
using Reimburse.Core.Approvals;
using Reimburse.Core.Company;

namespace Reimburse.Core.Tests.Approvals;

/// <summary>The demo company and its approval policy, built in code to mirror seed/harbour-trading (the Functions tests load the YAML itself).</summary>
internal static class Harbour
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    public static DateTimeOffset Hkt(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, Offset);

    public static CompanyDirectory People { get; } = BuildDirectory();

    public static WorkingCalendar Calendar { get; } = WorkingCalendar.HongKongOffice(
    [
        // The 2026 general holidays around Easter and Christmas, enough for the tests' dates.
        new(2026, 1, 1), new(2026, 2, 17), new(2026, 2, 18), new(2026, 2, 19),
        new(2026, 4, 3), new(2026, 4, 4), new(2026, 4, 6), new(2026, 4, 7),
        new(2026, 5, 1), new(2026, 12, 25), new(2026, 12, 26),
    ]);

    public static ApprovalPolicy Policy(params Delegation[] delegations) => new(
        "harbour",
        "test-1",
        "HKD",
        Calendar,
        [
            new PolicyLevel("line-manager", "Line manager", [Rule(AmountRange.Any, [], [], ApproverSelector.LineManager, ApprovalMode.AnyOf)]),
            new PolicyLevel("department-head", "Department head",
            [
                Rule(new AmountRange(3000, null), [], ["client-entertainment"], ApproverSelector.DepartmentHead, ApprovalMode.AnyOf),
                Rule(new AmountRange(1000, null), ["client-entertainment"], [], ApproverSelector.DepartmentHead, ApprovalMode.AnyOf),
            ]),
            new PolicyLevel("travel-desk", "Travel coordinators", [Rule(AmountRange.Any, ["travel"], [], ApproverSelector.Named("mgr-lau", "duty-ng"), ApprovalMode.AnyOf)]),
            new PolicyLevel("finance", "Finance",
            [
                Rule(new AmountRange(null, 5000), [], [], ApproverSelector.DepartmentFinance, ApprovalMode.AnyOf),
                Rule(new AmountRange(5000, null), [], [], ApproverSelector.Named("fin-lam", "fin-cheung"), ApprovalMode.AllOf),
            ]),
        ],
        new TimerPolicy(TimeSpan.FromHours(4), TimeSpan.FromHours(9)),
        new EscalationPolicy(true, ["fin-cheung", "fin-lam"]),
        new OffHoursPolicy("duty-ng"),
        new FinanceReviewPolicy("Finance review (high risk)", ApproverSelector.Named("fin-cheung"), ApprovalMode.AnyOf),
        delegations);

    public static WorkflowContext Context(params Delegation[] delegations) => new(Calendar, delegations);

    public static Route Plan(string claimant, decimal amount, string category, DateTimeOffset at, string? submitter = null, bool financeReview = false, ApprovalPolicy? policy = null)
    {
        var result = RoutePlanner.Plan(policy ?? Policy(), People, new RouteRequest(claimant, submitter ?? claimant, Money.Hkd(amount), category, at, financeReview));
        return Assert.IsType<RoutePlanned>(result).Route;
    }

    private static LevelRule Rule(AmountRange amount, string[] categories, string[] except, ApproverSelector approvers, ApprovalMode mode) =>
        new(amount, categories, except, approvers, mode, "test rule");

    private static CompanyDirectory BuildDirectory()
    {
        static User U(string id, string dept, string? manager, params Role[] roles) =>
            new(id, id, null, id + "@harbour.example", dept, roles.ToHashSet(), manager,
                roles.Contains(Role.Finance) ? new HashSet<string> { "sales", "operations", "finance", "admin" } : new HashSet<string>());
        return new CompanyDirectory(
            "harbour", "Harbour Trading Ltd", null, "HKD", "Asia/Hong_Kong",
            [
                new Department("sales", "Sales", null, "head-ho"),
                new Department("operations", "Operations", null, "head-ho"),
                new Department("finance", "Finance", null, "fin-cheung"),
                new Department("admin", "Administration", null, "fin-cheung"),
            ],
            [
                U("emp-chan", "sales", "mgr-wong", Role.Employee),
                U("emp-lee", "operations", "mgr-lau", Role.Employee),
                U("emp-tam", "sales", "mgr-wong", Role.Employee),
                U("mgr-wong", "sales", "head-ho", Role.Employee, Role.Approver),
                U("mgr-lau", "operations", "head-ho", Role.Employee, Role.Approver),
                U("head-ho", "sales", "fin-cheung", Role.Employee, Role.Approver),
                U("fin-lam", "finance", "fin-cheung", Role.Employee, Role.Approver, Role.Finance),
                U("fin-cheung", "finance", null, Role.Employee, Role.Approver, Role.Finance),
                U("aud-yip", "finance", null, Role.Auditor),
                U("duty-ng", "operations", "head-ho", Role.Employee, Role.Approver),
            ],
            [
                new Category("meals", "Meals", null, 500, 0, []),
                new Category("transport", "Taxi / transport", null, 800, 100, ["taxi"]),
                new Category("travel", "Travel", null, 30000, 0, []),
                new Category("office-supplies", "Office supplies", null, 3000, 0, []),
                new Category("client-entertainment", "Client entertainment", null, 10000, 0, []),
                new Category("training", "Training", null, 20000, 0, []),
            ],
            [],
            []);
    }
}

/// <summary>Drives one claim through <see cref="ApprovalWorkflow.Decide"/> on virtual time, keeping every effect.</summary>
internal sealed class ClaimDriver(string claimId, WorkflowContext context, DateTimeOffset start)
{
    public WorkflowState State { get; private set; } = WorkflowState.New(claimId);

    public DateTimeOffset Now { get; set; } = start;

    public WorkflowContext Context { get; set; } = context;

    public List<WorkflowEffect> Effects { get; } = [];

    /// <summary>Effects of the latest accepted input.</summary>
    public IReadOnlyList<WorkflowEffect> LastEffects { get; private set; } = [];

    public DecideResult Send(WorkflowInput input)
    {
        var result = ApprovalWorkflow.Decide(State, input, Now, Context);
        if (result is Transitioned t)
        {
            State = t.State;
            LastEffects = t.Effects;
            Effects.AddRange(t.Effects);
        }
        return result;
    }

    /// <summary>Sends and asserts the input was accepted.</summary>
    public Transitioned Accept(WorkflowInput input) => Assert.IsType<Transitioned>(Send(input));

    /// <summary>Sends and returns the refusal code, asserting it was refused.</summary>
    public WorkflowErrorCode Refuse(WorkflowInput input) => Assert.IsType<Refused>(Send(input)).Error.Code;

    public Transitioned Submit(Route route, string claimant = "emp-chan", decimal amount = 6200m, string? submitter = null) =>
        Accept(new Submitted(claimant, submitter ?? claimant, Money.Hkd(amount), route));

    public Transitioned Approve(string actor) => Accept(new DecisionMade(actor, Decision.Approve, null));

    /// <summary>Advances the clock to the earliest armed timer and fires it.</summary>
    public (ArmedTimer Timer, Transitioned Result) FireNextTimer()
    {
        var next = State.Timers.OrderBy(t => t.DueAt).First();
        Now = next.DueAt;
        return (next, Accept(next.ToInput()));
    }

    public IEnumerable<Notify> Notifications(string template) => Effects.OfType<Notify>().Where(n => n.Template == template);

    public IReadOnlyList<string> Waiting() => ApprovalWorkflow.WaitingOn(State, Now, Context).Select(w => w.UserId).Distinct().ToList();
}
