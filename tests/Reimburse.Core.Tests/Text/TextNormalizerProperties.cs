using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Reimburse.Core.Text;

namespace Reimburse.Core.Tests.Text;

/// <summary>Any UTF-16 string, lone surrogates, controls, bidi and zero-width characters, full-width letters included.</summary>
public static class HostileStrings
{
    private static readonly char[] Specials = ['\uD800', '\uDC00', '\u200B', '\u200D', '\u202E', '\u2066', '\uFEFF', '\u0000', '\u001B', '\u00A0', '\u3000', 'Ａ', 'ｚ', 'а', 'Σ', 'ς', '翠', ' ', '\t'];

    public static Arbitrary<string> Strings() => Gen.OneOf(
            Gen.Choose(0, 0xFFFF).Select(i => (char)i),
            Gen.Elements(Specials),
            Gen.Choose('a', 'z').Select(i => (char)i))
        .ArrayOf().Select(cs => new string(cs)).ToArbitrary();
}

[Properties(Arbitrary = [typeof(HostileStrings)], MaxTest = 500, Replay = "17,17")]
public sealed class TextNormalizerProperties
{
    [Property]
    public bool Normalize_AnyString_IsIdempotent(string s) => TextNormalizer.Normalize(TextNormalizer.Normalize(s)) == TextNormalizer.Normalize(s);

    [Property]
    public bool Normalize_AnyString_LeavesNoInvisibleCharactersNorDoubleSpaces(string s)
    {
        var n = TextNormalizer.Normalize(s);
        return !TextNormalizer.HasInvisible(n) && !n.Contains("  ", StringComparison.Ordinal) && n == n.Trim() && TextNormalizer.IsValidUtf16(n);
    }

    [Property]
    public bool MatchKey_InvisiblesInsertedAnywhere_SameKey(string s, int at)
    {
        var i = s.Length == 0 ? 0 : Math.Abs(at % (s.Length + 1));
        if (i > 0 && i < s.Length && char.IsSurrogatePair(s[i - 1], s[i])) return true; // splitting a pair changes the text itself
        return TextNormalizer.MatchKey(s.Insert(i, "\u200B\u202E")) == TextNormalizer.MatchKey(s);
    }

    [Property]
    public bool MatchKey_AsciiWordTypedFullWidthOrInOtherCase_SameKey(NonEmptyString word)
    {
        var ascii = new string(word.Get.Where(char.IsAsciiLetterOrDigit).ToArray());
        var fullWidth = new string(ascii.Select(c => (char)(c + 0xFEE0)).ToArray());
        return TextNormalizer.MatchKey(fullWidth) == TextNormalizer.MatchKey(ascii.ToUpperInvariant());
    }
}
