using System.Text.Json;
using System.Text.Json.Serialization;

namespace Reimburse.Core.Approvals;

/// <summary>
/// The approval route of one claim, planned at submission and stored with it. The workflow reads only the
/// route (plus the calendar and delegations), so later policy edits never change a claim in flight.
/// </summary>
/// <param name="ReminderAfter">Working time from a step (or escalation) start to its reminder.</param>
/// <param name="EscalateAfter">Working time from a step (or escalation) start to its escalation.</param>
/// <param name="Notes">Why the route looks the way it does (off-hours, skipped approvers, merged levels).</param>
/// <param name="Urgent">An urgent claim's ladder rungs ignore working hours.</param>
/// <param name="ReachDailyCap">The policy's cap of SMS + calls per approver per local day (0: no ladder).</param>
public sealed record Route(
    string PolicyVersion,
    DateTimeOffset PlannedAt,
    bool OffHours,
    TimeSpan ReminderAfter,
    TimeSpan EscalateAfter,
    IReadOnlyList<RouteStep> Steps,
    IReadOnlyList<string> Notes,
    bool Urgent = false,
    int ReachDailyCap = 0);

/// <summary>One level of a route. The step completes when every slot has a signature.</summary>
/// <param name="Slots">AllOf: one slot per named approver. AnyOf: one slot shared by all of them.</param>
/// <param name="Ladder">The reminder ladder after the chat / e-mail request (SMS, then a call), from the policy.</param>
public sealed record RouteStep(string LevelId, string Name, ApprovalMode Mode, string Reason, IReadOnlyList<ApprovalSlot> Slots, IReadOnlyList<LadderRung>? Ladder = null)
{
    /// <summary>The named approvers of all slots, in order, without escalation targets.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Approvers => Slots.SelectMany(s => s.Approvers).Distinct(StringComparer.Ordinal).ToList();
}

/// <summary>
/// One required signature. Any listed approver may give it; after the n-th escalation the users of the first n
/// escalation tiers may give it too. One person fills at most one slot of a step, so dual sign-off stays dual.
/// </summary>
public sealed record ApprovalSlot(IReadOnlyList<string> Approvers, IReadOnlyList<IReadOnlyList<string>> EscalationTiers)
{
    /// <summary>Approvers plus escalation targets unlocked by <paramref name="escalationLevel"/> escalations.</summary>
    public IEnumerable<string> Principals(int escalationLevel) =>
        Approvers.Concat(EscalationTiers.Take(escalationLevel).SelectMany(t => t)).Distinct(StringComparer.Ordinal);
}

/// <summary>JSON settings for storing routes, workflow state, inputs and effects (enums as strings).</summary>
public static class ApprovalJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
