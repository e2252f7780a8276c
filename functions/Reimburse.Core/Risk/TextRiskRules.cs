using Reimburse.Core.Text;

namespace Reimburse.Core.Risk;

/// <summary>Text that reads as one thing and is another: look-alike letters from another script, invisible characters.
/// Matching already sees through both (<see cref="TextNormalizer.MatchKey"/>); this tells the approver someone tried.</summary>
public static class TextRiskRules
{
    public const double LookAlikeWeight = 0.5;

    /// <summary>The merchant mixes Latin with Cyrillic or Greek look-alikes ("Tsui Wаh"), or hides zero-width or bidi
    /// control characters.</summary>
    public static RuleHit? LookAlikeText(ClaimFacts claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (TextNormalizer.FindMixedScript(claim.Merchant) is { } mixed)
        {
            var which = string.Join(", ", mixed.Described);
            return new RuleHit(RiskReasonCodes.LookAlikeText, LookAlikeWeight, false,
                $"The merchant \"{claim.Merchant}\" mixes Latin letters with look-alike letters from another script ({which}): it may imitate another name.",
                $"商戶名稱「{claim.Merchant}」把拉丁字母與其他文字中外形相似的字母混用（{which}），可能在冒充另一名稱。", []);
        }
        if (TextNormalizer.HasInvisible(claim.Merchant))
        {
            return new RuleHit(RiskReasonCodes.LookAlikeText, LookAlikeWeight, false,
                $"The merchant \"{claim.Merchant}\" contains invisible characters (zero-width or text-direction controls).",
                $"商戶名稱「{claim.Merchant}」含有看不見的字元（零寬或文字方向控制字元）。", []);
        }
        return null;
    }
}
