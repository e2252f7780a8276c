using System.Net;
using Microsoft.AspNetCore.Components;
using Reimburse.Web.Pages;
using Reimburse.Web.Services;

namespace Reimburse.Web.Tests;

/// <summary>An expired session (the API answers 401) returns to sign-in, which says why.</summary>
public sealed class SessionTests : BunitContext
{
    [Fact]
    public void Api401_OnAnyScreen_SignsOutAndShowsSignInWithTheReason()
    {
        var (api, session) = this.AddApp();
        api.Answer(HttpStatusCode.Unauthorized, """{"title":"Unauthorized","status":401}""");
        var list = Render<MyClaims>();

        list.WaitForAssertion(() => Assert.False(session.IsSignedIn));
        Assert.True(session.Expired);
        Assert.Null(session.Token);
        Assert.EndsWith("/signin", Services.GetRequiredService<NavigationManager>().Uri);

        api.Answer(HttpStatusCode.BadRequest, """{"status":400,"title":"Unknown user","errors":{"userId":["userId must be one of: emp-chan, mgr-wong."]}}""");
        var signIn = Render<SignIn>();
        signIn.WaitForAssertion(() => Assert.Equal(2, signIn.FindAll("select#user option").Count));
        Assert.Contains("session has ended", signIn.Find("[role=alert]").TextContent);
    }

    [Theory]
    [InlineData("claims/clm_abc", "claims/clm_abc")]
    [InlineData("inbox", "inbox")]
    [InlineData(null, null)]
    [InlineData("https://evil.example/", null)]
    [InlineData("//evil.example/x", null)]
    [InlineData("/\\evil.example", null)]
    [InlineData("javascript:alert(1)", null)]
    [InlineData("signin?return=inbox", null)]
    public void SignIn_ReturnPath_OnlyAPathInsideTheApp(string? asked, string? followed) =>
        Assert.Equal(followed, SignIn.SafeReturn(asked));

    [Fact]
    public void Screen_SignedOut_GoesToSignInAndComesBackAfter()
    {
        var (_, session) = this.AddApp();
        session.SignOut();
        var nav = Services.GetRequiredService<NavigationManager>();
        nav.NavigateTo("claims/clm_abc");

        Render<ClaimDetail>(p => p.Add(c => c.Id, "clm_abc"));

        Assert.EndsWith("/signin?return=claims%2Fclm_abc", nav.Uri);
    }
}
