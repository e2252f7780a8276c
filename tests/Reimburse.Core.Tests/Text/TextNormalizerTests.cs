using Reimburse.Core.Company;
using Reimburse.Core.Text;

namespace Reimburse.Core.Tests.Text;

public sealed class TextNormalizerTests
{
    [Theory]
    [InlineData("ＨＫ Ｔａｘｉ", "hk taxi")]            // full-width forms (phone keyboards)
    [InlineData("HK\u200BTaxi", "hktaxi")]             // zero-width space
    [InlineData("\u202EHK Taxi\u202C", "hk taxi")]     // bidi override and pop
    [InlineData("  HK \t\n  TAXI  ", "hk taxi")]       // case and white space
    [InlineData("\U0001D407\U0001D40A Taxi", "hk taxi")] // mathematical bold letters
    [InlineData("Stra\u00DFe \u03A3\u0399\u03A3", "stra\u00DFe \u03C3\u03B9\u03C3")]
    [InlineData("翠華餐廳", "翠華餐廳")]
    public void Normalize_CompatibilityFormsInvisiblesCaseAndSpace_FoldedToOneForm(string typed, string expected)
    {
        Assert.Equal(expected, TextNormalizer.Normalize(typed));
    }

    [Fact]
    public void Normalize_LoneSurrogate_ReplacedNotThrown()
    {
        Assert.Equal("a\uFFFDb", TextNormalizer.Normalize("a\uD800b"));
        Assert.Equal("ab", TextNormalizer.MatchKey("a\uDC00b"));
    }

    [Fact]
    public void Normalize_ControlCharacters_Removed()
    {
        Assert.Equal("hktaxi", TextNormalizer.Normalize("HK\u0000\u001BTaxi"));
    }

    [Theory]
    [InlineData("HK Taxi")]
    [InlineData("ＨＫ Ｔａｘｉ")]
    [InlineData("HK\u200BTaxi")]
    [InlineData("HK Т\u0430х\u0456")]   // Cyrillic Т, а, х, і
    [InlineData("hk-taxi.")]
    [InlineData("\u2066HK\u2069 \uFEFFTaxi")]
    public void MatchKey_EvasiveSpellings_SameKey(string typed)
    {
        Assert.Equal("hktaxi", TextNormalizer.MatchKey(typed));
    }

    [Fact]
    public void MatchKey_PlainAsciiFastPath_AgreesWithTheFullPath()
    {
        // The fast path must give what the full path would: compare with a non-ASCII twin (a trailing zero-width space).
        foreach (var s in new[] { "Tsui Wah Restaurant", "MTR Corporation", "7-Eleven #23", "A&B (HK) Ltd." })
        {
            Assert.Equal(TextNormalizer.MatchKey(s + "\u200B"), TextNormalizer.MatchKey(s));
            Assert.Equal(TextNormalizer.Normalize(s + "\u200B"), TextNormalizer.Normalize(s));
        }
    }

    [Fact]
    public void FindMixedScript_CyrillicLetterInLatinName_Found()
    {
        var found = TextNormalizer.FindMixedScript("Tsui W\u0430h Restaurant");

        Assert.NotNull(found);
        Assert.Equal(["\u0430"], found.Characters);
        Assert.Contains("U+0430", found.Described[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Tsui Wah Restaurant")]
    [InlineData("翠華餐廳 Tsui Wah")]
    [InlineData("ＨＫ Ｔａｘｉ")]
    [InlineData("Café Жар")]          // Cyrillic that no Latin reader would mistake
    [InlineData("Москва")]            // no Latin at all
    public void FindMixedScript_OneScriptOrPlainBilingual_None(string name)
    {
        Assert.Null(TextNormalizer.FindMixedScript(name));
    }

    [Fact]
    public void FindVendor_FullWidthAndLookAlikeSpellings_RecogniseTheApprovedVendor()
    {
        var company = new CompanyDirectory("hk", "Harbour", null, "HKD", "Asia/Hong_Kong", [], [], [],
            [new Vendor("HK Taxi", "的士", ["transport"])], []);

        Assert.Equal("HK Taxi", company.FindVendor("ＨＫ Ｔａｘｉ")?.Name);
        Assert.Equal("HK Taxi", company.FindVendor("HK\u200BT\u0430xi")?.Name);
        Assert.Equal("HK Taxi", company.FindVendor("的\u200B士")?.Name);
        Assert.Null(company.FindVendor("HK Taxis Ltd"));
    }
}
