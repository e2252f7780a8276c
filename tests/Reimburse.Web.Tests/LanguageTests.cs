using Microsoft.AspNetCore.Components;
using Reimburse.Web.Components;
using Reimburse.Web.Pages;
using Reimburse.Web.Services;

namespace Reimburse.Web.Tests;

/// <summary>English / 繁體中文 (zh-HK): switched on every screen at once, remembered in the browser, complete.</summary>
public sealed class LanguageTests : BunitContext
{
    [Fact]
    public void Switch_ToChinese_RelabelsTheOpenFormAndRemembersTheChoice()
    {
        this.AddApp();
        var setPref = JSInterop.SetupVoid("reimburse.setPref", "reimburse.lang", "zh-HK");
        setPref.SetVoidResult();
        var form = Render<NewClaim>();
        var sw = Render<LanguageSwitch>();
        Assert.Equal("Amount", form.Find("label[for=amount]").TextContent);

        sw.Find("button[lang=zh-HK]").Click();

        form.WaitForAssertion(() => Assert.Equal("金額", form.Find("label[for=amount]").TextContent));
        Assert.Equal("新報銷申請", form.Find("h1").TextContent);
        Assert.Equal("true", sw.Find("button[lang=zh-HK]").GetAttribute("aria-pressed"));
        Assert.Equal("false", sw.Find("button[lang=en]").GetAttribute("aria-pressed"));
        setPref.VerifyInvoke("reimburse.setPref");
        JSInterop.VerifyInvoke("reimburse.setDocumentLanguage");
    }

    [Fact]
    public async Task Load_RememberedChinese_StartsInChinese()
    {
        this.AddApp();
        JSInterop.Setup<string?>("reimburse.getPref", "reimburse.lang").SetResult("zh-HK");
        var lang = Services.GetRequiredService<Lang>();

        await lang.LoadAsync();

        Assert.True(lang.IsChinese);
        Assert.Equal("審批", Strings.Get("nav.inbox", lang.Current)[1..]);
    }

    [Theory]
    [InlineData(null, "en")]
    [InlineData("zh-TW", "zh-HK")]
    [InlineData("zh-HK", "zh-HK")]
    [InlineData("en-GB", "en")]
    [InlineData("fr", "en")]
    public void Normalize_BrowserLanguage_EnglishOrHongKongChinese(string? browser, string expected) =>
        Assert.Equal(expected, Lang.Normalize(browser));

    [Fact]
    public void Strings_EveryKey_HasEnglishAndTraditionalChinese()
    {
        foreach (var (key, en, zh) in Strings.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(en), key);
            Assert.Contains(zh, c => c is >= '\u4e00' and <= '\u9fff');
        }
        // Hong Kong wording, not machine-converted Simplified.
        Assert.DoesNotContain(Strings.All, s => s.Zh.Contains('报') || s.Zh.Contains('审') || s.Zh.Contains('据'));
    }

    [Fact]
    public void Strings_EveryClaimStatusTheApiCanAnswer_HasWords()
    {
        foreach (var status in Enum.GetNames<Reimburse.Core.Claims.ClaimStatus>())
        {
            Assert.DoesNotContain("[", Strings.Get("status." + status, Strings.English));
            Assert.DoesNotContain("[", Strings.Get("status." + status, Strings.Chinese));
        }
    }

    [Fact]
    public void Format_Money_IsHongKongDollarsWithTwoDecimals_TimesAreHongKongTime()
    {
        Assert.Equal("HK$1,234.50", Format.Money(1234.5m, "HKD"));
        Assert.Equal("USD 12.00", Format.Money(12m, "USD"));
        Assert.Equal("2026-12-03 00:20", Format.Time(new DateTimeOffset(2026, 12, 2, 16, 20, 0, TimeSpan.Zero)));
    }
}
