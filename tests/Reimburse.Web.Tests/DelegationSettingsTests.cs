using System.Net;
using System.Text.Json;
using Reimburse.Web.Components;

namespace Reimburse.Web.Tests;

/// <summary>Delegation settings on the approver's inbox: who decides for me, from when to when.</summary>
public sealed class DelegationSettingsTests : BunitContext
{
    [Fact]
    public void Add_UnknownDelegate_ErrorBesideTheField_ThenAValidOneIsListed()
    {
        var (api, _) = this.AddApp();
        api.Answer(HttpStatusCode.OK, """{"items":[]}""")
            .Answer(HttpStatusCode.BadRequest, """{"status":400,"title":"Invalid delegation","errors":{"to":["No user 'nobody' in the company directory."]}}""")
            .Answer(HttpStatusCode.Created, """{"id":"d1"}""")
            .Answer(HttpStatusCode.OK, """{"items":[{"id":"d1","from":"emp-chan","to":"head-ho","start":"2026-12-03","end":"2026-12-05","reason":null,"status":"active","source":"runtime"}]}""");
        var settings = Render<DelegationSettings>();

        settings.Find("#dg-to").Change("nobody");
        settings.Find("form").Submit();
        settings.WaitForAssertion(() => Assert.Equal("No user 'nobody' in the company directory.", settings.Find("#dg-to-error").TextContent.Trim()));
        Assert.Equal("true", settings.Find("#dg-to").GetAttribute("aria-invalid"));

        settings.Find("#dg-to").Change("head-ho");
        settings.Find("#dg-end").Change("2026-12-05");
        settings.Find("form").Submit();
        settings.WaitForAssertion(() => Assert.Contains("emp-chan → head-ho · 2026-12-03 – 2026-12-05", settings.Find("li.delegation").TextContent));
        Assert.Empty(settings.FindAll("#dg-to-error"));
        using var body = JsonDocument.Parse(api.Requests[2].Body);
        Assert.Equal("head-ho", body.RootElement.GetProperty("to").GetString());
        Assert.Equal("2026-12-05", body.RootElement.GetProperty("end").GetString());
    }
}
