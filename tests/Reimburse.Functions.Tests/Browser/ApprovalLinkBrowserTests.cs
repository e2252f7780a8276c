using Microsoft.Playwright;
using Reimburse.Testing;
using Reimburse.Tests.Approvals;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Browser;

/// <summary>The one-click link page in real Chromium (the Debian package, driven by Playwright): an approver opens the link
/// from a notification, reads the claim and presses the button.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ApprovalLinkBrowserTests(AzuriteFixture azurite)
{
    /// <summary>System Chromium: CHROMIUM_PATH, else /usr/bin/chromium (scripts/setup.sh installs it).</summary>
    internal static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";
        Assert.True(File.Exists(path), $"Chromium is needed for the browser tests: apt-get install -y chromium, or set CHROMIUM_PATH (looked for {path}).");
        return path;
    }

    private static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            // Root in CI containers: Chromium's sandbox needs user namespaces it may not have.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        return (playwright, browser);
    }

    [Fact]
    public async Task Chromium_OpensTheApproveLinkAndPressesTheButton_StepApprovedOnceAndTheLinkShowsUsed()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite, WorkflowTestKit.AppSettings(), WorkflowTestKit.UseRecordingChannel);
        var anonymous = await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var (id, path) = await WorkflowApiTests.SubmitForLinkAsync(app, chan, 268.5m, "Approve", ct);
        var url = new Uri(anonymous.BaseAddress!, path).ToString();
        var (playwright, browser) = await LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync();
            var response = await page.GotoAsync(url);

            Assert.Equal(200, response!.Status);
            Assert.StartsWith("Approve claim", await page.InnerTextAsync("h1"));
            Assert.Contains("HKD 268.50", await page.InnerTextAsync("table"));
            Assert.Contains("Wong", await page.InnerTextAsync("p.note"));
            Assert.Equal("pending", (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).Status());
            Assert.Equal(0, (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("currentStep").GetProperty("index").GetInt32());

            await page.ClickAsync("button.approve");
            await page.WaitForSelectorAsync("h1:has-text('Approved')");
            Assert.Contains("已批准", await page.InnerTextAsync("h2"));
            Assert.Equal(1, (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("currentStep").GetProperty("index").GetInt32());

            // Back and reload, as people do: the link now says it was used, and nothing is decided twice.
            var again = await page.GotoAsync(url);
            Assert.Equal(409, again!.Status);
            Assert.Contains("already used", await page.InnerTextAsync("h1"));
            var history = (await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("history").EnumerateArray().ToList();
            Assert.Single(history, h => h.GetRawText().Contains("mgr-wong") && h.GetRawText().Contains("pprove"));
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
