using System.Globalization;
using Reimburse.Core.Company;

namespace Reimburse.Core.Approvals;

/// <summary>What the planner needs to know about a claim. Amount is in the policy currency.</summary>
/// <param name="SubmitterId">Who pressed submit; differs from the claimant when filing on someone's behalf.</param>
/// <param name="RequiresFinanceReview">High-risk hook (anomaly scoring): adds the policy's finance review level.</param>
public sealed record RouteRequest(
    string ClaimantId,
    string SubmitterId,
    Money Amount,
    string Category,
    DateTimeOffset SubmittedAt,
    bool RequiresFinanceReview = false,
    bool Urgent = false);

/// <summary>Why a claim cannot be routed.</summary>
public enum RoutingErrorCode { UnknownClaimant, UnknownSubmitter, UnknownCategory, WrongCurrency, NoEligibleApprover, EmptyRoute }

/// <summary>Outcome of <see cref="RoutePlanner.Plan"/>.</summary>
public abstract record RoutePlanResult;

/// <summary>A planned route, ready to be stored with the claim.</summary>
public sealed record RoutePlanned(Route Route) : RoutePlanResult;

/// <summary>The claim cannot be routed under this policy.</summary>
public sealed record RouteUnplannable(RoutingErrorCode Code, string Message) : RoutePlanResult;

/// <summary>Computes a claim's approval route from the policy and the company directory at submission.</summary>
public static class RoutePlanner
{
    /// <summary>Level id of the review added for high-risk claims.</summary>
    public const string FinanceReviewLevel = "finance-review";

    /// <summary>
    /// Plans the route. Rules, in order: each policy level contributes the step of its matching rule (none: the
    /// level is skipped); the finance review level is appended when requested; an off-hours submission sends the
    /// first step to the duty supervisor; segregation of duties removes the claimant and submitter from every step
    /// (a removed all-of approver, or an any-of group left empty, escalates to the next eligible target); a step
    /// whose single approver already is the single approver of an earlier step is dropped. An all-of approver who
    /// is skipped and has no eligible substitute (everyone else already signs that step) leaves the other slots.
    /// </summary>
    public static RoutePlanResult Plan(ApprovalPolicy policy, CompanyDirectory directory, RouteRequest request)
    {
        var claimant = directory.FindUser(request.ClaimantId);
        if (claimant is null)
        {
            return new RouteUnplannable(RoutingErrorCode.UnknownClaimant, $"Unknown claimant '{request.ClaimantId}'.");
        }
        if (directory.FindUser(request.SubmitterId) is null)
        {
            return new RouteUnplannable(RoutingErrorCode.UnknownSubmitter, $"Unknown submitter '{request.SubmitterId}'.");
        }
        var category = directory.FindCategory(request.Category);
        if (category is null)
        {
            return new RouteUnplannable(RoutingErrorCode.UnknownCategory, $"Unknown category '{request.Category}'.");
        }
        if (!string.Equals(request.Amount.Currency, policy.Currency, StringComparison.Ordinal))
        {
            return new RouteUnplannable(RoutingErrorCode.WrongCurrency, $"Routing needs the amount in {policy.Currency}, got {request.Amount.Currency}.");
        }

        var conflicted = new HashSet<string>(StringComparer.Ordinal) { request.ClaimantId, request.SubmitterId };
        var notes = new List<string>();
        var drafts = new List<DraftStep>();
        var amount = request.Amount.Amount;

        foreach (var level in policy.Levels)
        {
            var rule = level.Rules.FirstOrDefault(r => r.Matches(amount, category.Id));
            if (rule is null)
            {
                continue;
            }
            var approvers = Resolve(rule.Approvers, claimant, directory);
            drafts.Add(new DraftStep(level.Id, level.Name, rule.Mode, rule.Reason, approvers));
        }

        if (request.RequiresFinanceReview)
        {
            // A policy without a financeReview section still honours the flag, with the finance escalation pool.
            var review = policy.FinanceReview
                ?? new FinanceReviewPolicy("Finance review", new ApproverSelector(ApproverSource.Users, policy.Escalation.Finance), ApprovalMode.AnyOf);
            drafts.Add(new DraftStep(FinanceReviewLevel, review.Name, review.Mode, "Flagged as high-risk: finance review required.", Resolve(review.Approvers, claimant, directory)));
        }

        var offHours = !policy.Calendar.IsWorkingTime(request.SubmittedAt);
        if (offHours && policy.OffHours is { } duty && drafts.Count > 0)
        {
            var first = drafts[0];
            var local = policy.Calendar.ToLocal(request.SubmittedAt).ToString("ddd yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture);
            notes.Add($"Submitted outside working hours ({local}): level '{first.LevelId}' routed to duty supervisor {duty.DutySupervisor} instead of {Describe(first.Approvers)}.");
            drafts[0] = first with
            {
                Mode = ApprovalMode.AnyOf,
                Approvers = [duty.DutySupervisor],
                Reason = $"{first.Reason} Off-hours submission: duty supervisor.",
            };
        }

        var steps = new List<RouteStep>();
        foreach (var draft in drafts)
        {
            var step = BuildStep(draft, policy, directory, conflicted, notes);
            if (step is null)
            {
                return new RouteUnplannable(RoutingErrorCode.NoEligibleApprover, $"Level '{draft.LevelId}' has no eligible approver for this claim.");
            }
            if (draft.LevelId == FinanceReviewLevel && MergeReview(step, steps, notes) is var (merged, kept))
            {
                if (kept is null)
                {
                    steps[merged] = steps[merged] with { Reason = $"{steps[merged].Reason} {step.Reason}" };
                    continue;
                }
                step = kept;
            }
            if (step.Slots.Count == 1 && step.Slots[0].Approvers.Count == 1
                && steps.Any(s => s.Slots.Count == 1 && s.Slots[0].Approvers.SequenceEqual(step.Slots[0].Approvers)))
            {
                notes.Add($"Level '{step.LevelId}' dropped: {step.Slots[0].Approvers[0]} already approves an earlier level.");
                continue;
            }
            steps.Add(step);
        }

        if (steps.Count == 0)
        {
            return new RouteUnplannable(RoutingErrorCode.EmptyRoute, "No policy level applies to this claim.");
        }
        if (policy.Reach is { } reach)
        {
            steps = steps.Select(s => s with { Ladder = reach.For(s.LevelId, request.Urgent) }).ToList();
        }
        return new RoutePlanned(new Route(policy.Version, request.SubmittedAt, offHours, policy.Timers.ReminderAfter, policy.Timers.EscalateAfter, steps, notes,
            request.Urgent, policy.Reach?.DailyCapPerApprover ?? 0));
    }

    /// <summary>
    /// The high-risk review must not ask someone a second time who already signs the claim (the HK$6,200 dual finance
    /// sign-off by fin-lam and fin-cheung, then fin-cheung again as reviewer). A reviewer who is a required signer of an
    /// earlier step (owner of an all-of slot, or sole approver) is taken out of an any-of review; when nobody is left the
    /// review is merged into the earliest such step (returned with a null step). Null when the review stays as planned.
    /// </summary>
    private static (int Merged, RouteStep? Kept)? MergeReview(RouteStep review, IReadOnlyList<RouteStep> earlier, List<string> notes)
    {
        if (review.Mode != ApprovalMode.AnyOf || review.Slots.Count != 1)
        {
            return null;
        }
        var signers = earlier
            .Select((s, i) => (Index: i, Signers: s.Slots.Where(slot => slot.Approvers.Count == 1).Select(slot => slot.Approvers[0]).ToList()))
            .ToList();
        var already = review.Slots[0].Approvers.Where(a => signers.Any(s => s.Signers.Contains(a, StringComparer.Ordinal))).ToList();
        if (already.Count == 0)
        {
            return null;
        }
        var left = review.Slots[0].Approvers.Except(already, StringComparer.Ordinal).ToList();
        if (left.Count > 0)
        {
            notes.Add($"Level '{review.LevelId}': {Describe(already)} already sign an earlier level; the review goes to {Describe(left)}.");
            var slot = review.Slots[0];
            return (-1, review with { Slots = [slot with { Approvers = left }] });
        }
        var into = signers.First(s => s.Signers.Contains(already[0], StringComparer.Ordinal)).Index;
        notes.Add($"Level '{review.LevelId}' merged into level '{earlier[into].LevelId}': {Describe(already)} already signs it, so is not asked twice.");
        return (into, null);
    }

    private static List<string> Resolve(ApproverSelector selector, User claimant, CompanyDirectory directory) => selector.Source switch
    {
        ApproverSource.LineManager => claimant.Manager is { } m ? [m] : [],
        ApproverSource.DepartmentHead => directory.FindDepartment(claimant.Department)?.Head is { } h ? [h] : [],
        ApproverSource.DepartmentFinance => directory.Users
            .Where(u => u.Has(Role.Finance) && u.FinanceDepartments.Contains(claimant.Department))
            .Select(u => u.Id)
            .ToList(),
        _ => selector.Users.ToList(),
    };

    private static RouteStep? BuildStep(DraftStep draft, ApprovalPolicy policy, CompanyDirectory directory, HashSet<string> conflicted, List<string> notes)
    {
        var named = draft.Approvers.Distinct(StringComparer.Ordinal).ToList();
        var kept = named.Where(a => !conflicted.Contains(a)).ToList();
        var skipped = named.Where(conflicted.Contains).ToList();

        if (draft.Mode == ApprovalMode.AnyOf)
        {
            if (kept.Count == 0)
            {
                // The whole group was skipped (or the level resolved to nobody): escalate it as one.
                var target = FirstEscalationTarget(named, policy, directory, conflicted, exclude: new HashSet<string>(StringComparer.Ordinal));
                if (target is null)
                {
                    return null;
                }
                notes.Add(named.Count == 0
                    ? $"Level '{draft.LevelId}' resolved to no approver; escalated to {target}."
                    : $"Level '{draft.LevelId}': {Describe(skipped)} may not approve this claim (segregation of duties); escalated to {target}.");
                kept = [target];
            }
            else if (skipped.Count > 0)
            {
                notes.Add($"Level '{draft.LevelId}': {Describe(skipped)} removed from the group (segregation of duties).");
            }
            var slot = new ApprovalSlot(kept, Tiers(kept, kept, policy, directory, conflicted));
            return new RouteStep(draft.LevelId, draft.Name, ApprovalMode.AnyOf, draft.Reason, [slot]);
        }

        // All-of: every named approver is a slot; a skipped one is replaced by its escalation target.
        var slotOwners = new List<string>();
        foreach (var approver in named)
        {
            if (!conflicted.Contains(approver))
            {
                slotOwners.Add(approver);
                continue;
            }
            var target = FirstEscalationTarget([approver], policy, directory, conflicted, exclude: named.Concat(slotOwners).ToHashSet(StringComparer.Ordinal));
            if (target is null)
            {
                // Everyone who could stand in already signs this step (a two-person finance team approving one
                // of its own claims): the remaining signatures still come from people other than the claimant.
                notes.Add($"Level '{draft.LevelId}': {approver} may not approve this claim (segregation of duties) and nobody else can take the place; the other approvers sign.");
                continue;
            }
            notes.Add($"Level '{draft.LevelId}': {approver} may not approve this claim (segregation of duties); escalated to {target}.");
            slotOwners.Add(target);
        }
        if (slotOwners.Count == 0)
        {
            return null;
        }
        var slots = slotOwners.Select(o => new ApprovalSlot([o], Tiers([o], slotOwners, policy, directory, conflicted))).ToList();
        return new RouteStep(draft.LevelId, draft.Name, ApprovalMode.AllOf, draft.Reason, slots);
    }

    /// <summary>Escalation tiers for a slot: the approvers' managers, then the finance pool; minus anyone who may not sign it.</summary>
    private static List<IReadOnlyList<string>> Tiers(IReadOnlyList<string> approvers, IReadOnlyList<string> stepApprovers, ApprovalPolicy policy, CompanyDirectory directory, HashSet<string> conflicted)
    {
        var taken = new HashSet<string>(stepApprovers.Concat(approvers).Concat(conflicted), StringComparer.Ordinal);
        var tiers = new List<IReadOnlyList<string>>();
        if (policy.Escalation.ToManager)
        {
            var managers = approvers
                .Select(a => directory.FindUser(a)?.Manager)
                .OfType<string>()
                .Where(m => taken.Add(m))
                .ToList();
            if (managers.Count > 0)
            {
                tiers.Add(managers);
            }
        }
        var finance = policy.Escalation.Finance.Where(f => taken.Add(f)).ToList();
        if (finance.Count > 0)
        {
            tiers.Add(finance);
        }
        return tiers;
    }

    private static string? FirstEscalationTarget(IReadOnlyList<string> approvers, ApprovalPolicy policy, CompanyDirectory directory, HashSet<string> conflicted, IReadOnlySet<string> exclude)
    {
        var candidates = policy.Escalation.ToManager
            ? approvers.Select(a => directory.FindUser(a)?.Manager).OfType<string>()
            : [];
        return candidates.Concat(policy.Escalation.Finance)
            .FirstOrDefault(c => !conflicted.Contains(c) && !exclude.Contains(c) && !approvers.Contains(c, StringComparer.Ordinal));
    }

    private static string Describe(IReadOnlyList<string> users) => users.Count == 0 ? "nobody" : string.Join(" and ", users);

    private sealed record DraftStep(string LevelId, string Name, ApprovalMode Mode, string Reason, IReadOnlyList<string> Approvers);
}
