using System.Globalization;
using System.Text;

namespace Reimburse.Core.Text;

/// <summary>
/// The one text normaliser: what vendor matching, duplicate and split detection (and any search) compare. What the user
/// typed is stored and shown as typed; only comparisons use these forms (docs/security-input.md).
/// </summary>
public static class TextNormalizer
{
    /// <summary>
    /// NFKC (full-width and other compatibility forms become plain letters), zero-width, bidi and other invisible
    /// format characters removed, case-folded, every run of white space one space, trimmed. Never throws: an invalid
    /// UTF-16 sequence (a lone surrogate) becomes U+FFFD.
    /// </summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (IsPlainAscii(text)) return CollapseAscii(text);

        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in Runes(text))
        {
            // Invisible characters go; so do control characters other than white space (NUL, ESC…).
            if (!IsInvisible(rune) && !(Rune.IsControl(rune) && !Rune.IsWhiteSpace(rune))) cleaned.Append(rune.ToString());
        }
        var nfkc = cleaned.ToString().Normalize(NormalizationForm.FormKC);
        var folded = new StringBuilder(nfkc.Length);
        var space = false;
        foreach (var rune in nfkc.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune))
            {
                space = folded.Length > 0;
                continue;
            }
            if (IsInvisible(rune)) continue; // NFKC can produce none, but a fold of one must not bring any back
            if (space)
            {
                folded.Append(' ');
                space = false;
            }
            // Upper then lower: the simple case fold .NET offers (ς/σ/Σ, ſ/s/S agree).
            folded.Append(Rune.ToLowerInvariant(Rune.ToUpperInvariant(rune)).ToString());
        }
        return folded.ToString().Normalize(NormalizationForm.FormKC);
    }

    /// <summary>
    /// The key two names are compared by (vendors, duplicates, splits): <see cref="Normalize"/>, then letters that only
    /// look like Latin ones (Cyrillic "а", Greek "ο"…) mapped to them, then letters and digits only. "ＨＫ Ｔａｘｉ",
    /// "HK\u200BTaxi", "hk taxi" and "НК Тахі" (Cyrillic) all give "hktaxi".
    /// </summary>
    public static string MatchKey(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (IsPlainAscii(text))
        {
            var sb = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                if (char.IsAsciiLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            }
            return sb.ToString();
        }
        var key = new StringBuilder(text.Length);
        foreach (var rune in Normalize(text).EnumerateRunes())
        {
            if (!Rune.IsLetterOrDigit(rune)) continue;
            if (rune.IsBmp && LookAlikes.TryGetValue((char)rune.Value, out var latin)) key.Append(latin);
            else key.Append(rune.ToString());
        }
        return key.ToString();
    }

    /// <summary>True when the text holds characters a reader cannot see: zero-width, bidi controls, other format characters.</summary>
    public static bool HasInvisible(string? text) => !string.IsNullOrEmpty(text) && Runes(text).Any(IsInvisible);

    /// <summary>
    /// Letters from a script other than Latin that look like Latin ones, in a name that is otherwise Latin: "Tsui Wаh"
    /// with a Cyrillic "а", "Тахі" beside Latin words. Null when there is none. Checked on the NFKC form, so full-width
    /// Latin counts as Latin.
    /// </summary>
    public static MixedScript? FindMixedScript(string? text)
    {
        if (string.IsNullOrEmpty(text) || IsPlainAscii(text)) return null;
        var nfkc = Normalize(text);
        var hasLatin = false;
        var lookAlikes = new List<Rune>();
        var others = false;
        foreach (var rune in nfkc.EnumerateRunes())
        {
            switch (ScriptOf(rune))
            {
                case Script.Latin: hasLatin = true; break;
                case Script.Cyrillic or Script.Greek:
                    if (rune.IsBmp && LookAlikes.ContainsKey((char)rune.Value)) lookAlikes.Add(rune);
                    else others = true;
                    break;
            }
        }
        // Latin with look-alikes, and no Cyrillic or Greek letter that could not pass for Latin (a real bilingual name
        // such as "Café Жар" shows letters no Latin reader would mistake).
        if (!hasLatin || lookAlikes.Count == 0 || others) return null;
        var distinct = lookAlikes.Distinct().ToList();
        return new MixedScript(distinct.Select(r => r.ToString()).ToList(),
            distinct.Select(r => $"'{r}' U+{r.Value:X4} {ScriptOf(r)}").ToList());
    }

    /// <summary>Runes of a string; a lone surrogate comes out as U+FFFD instead of throwing.</summary>
    public static IEnumerable<Rune> Runes(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                used = Math.Max(used, 1);
            }
            yield return rune;
            i += used;
        }
    }

    /// <summary>Replaces each lone surrogate with U+FFFD, so the string can be normalised, encoded and stored.</summary>
    public static string ReplaceInvalid(string text)
    {
        if (IsValidUtf16(text)) return text;
        var sb = new StringBuilder(text.Length);
        foreach (var r in Runes(text)) sb.Append(r.ToString());
        return sb.ToString();
    }

    /// <summary>True when every surrogate is paired.</summary>
    public static bool IsValidUtf16(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            return false;
        }
        return true;
    }

    /// <summary>Zero-width, bidi controls, soft hyphen, variation selectors, tags and the other format characters.</summary>
    public static bool IsInvisible(Rune rune) =>
        Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format
        || rune.Value is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0
        || rune.Value is >= 0x180B and <= 0x180F
        || rune.Value is >= 0xFE00 and <= 0xFE0F
        || rune.Value is >= 0xE0100 and <= 0xE01EF;

    private static bool IsPlainAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' and not ('\t' or '\n' or '\r') or > '~') return false;
        }
        return true;
    }

    private static string CollapseAscii(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                space = sb.Length > 0;
                continue;
            }
            if (space)
            {
                sb.Append(' ');
                space = false;
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private enum Script { Other, Latin, Cyrillic, Greek }

    private static Script ScriptOf(Rune r) => r.Value switch
    {
        >= 'a' and <= 'z' or >= 'A' and <= 'Z' => Script.Latin,
        >= 0x00C0 and <= 0x024F when Rune.IsLetter(r) => Script.Latin,
        >= 0x1E00 and <= 0x1EFF => Script.Latin,
        >= 0x0400 and <= 0x052F or >= 0x1C80 and <= 0x1C8F or >= 0x2DE0 and <= 0x2DFF or >= 0xA640 and <= 0xA69F => Script.Cyrillic,
        >= 0x0370 and <= 0x03FF or >= 0x1F00 and <= 0x1FFF => Script.Greek,
        _ => Script.Other,
    };

    /// <summary>Case-folded Cyrillic and Greek letters that pass for Latin ones (after Unicode TR39's confusables,
    /// restricted to the letters a phone keyboard offers). Upper-case look-alikes fold to these first.</summary>
    private static readonly Dictionary<char, char> LookAlikes = new()
    {
        // Cyrillic
        ['а'] = 'a', ['в'] = 'b', ['е'] = 'e', ['һ'] = 'h', ['н'] = 'h', ['і'] = 'i', ['ј'] = 'j', ['к'] = 'k', ['ӏ'] = 'l',
        ['м'] = 'm', ['о'] = 'o', ['р'] = 'p', ['ԛ'] = 'q', ['ѕ'] = 's', ['т'] = 't', ['у'] = 'y', ['ү'] = 'y', ['ԝ'] = 'w',
        ['х'] = 'x', ['с'] = 'c', ['ԁ'] = 'd',
        // Greek
        ['α'] = 'a', ['β'] = 'b', ['ε'] = 'e', ['η'] = 'h', ['ι'] = 'i', ['κ'] = 'k', ['μ'] = 'm', ['ν'] = 'v', ['ο'] = 'o',
        ['ρ'] = 'p', ['τ'] = 't', ['υ'] = 'u', ['χ'] = 'x', ['γ'] = 'y', ['ζ'] = 'z',
    };
}

/// <summary>Look-alike letters found in a name: the characters, and each described with its code point and script.</summary>
public sealed record MixedScript(IReadOnlyList<string> Characters, IReadOnlyList<string> Described);
