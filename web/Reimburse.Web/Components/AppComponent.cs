using Microsoft.AspNetCore.Components;
using Reimburse.Web.Services;

namespace Reimburse.Web.Components;

/// <summary>Base of every screen: the language (re-rendered when it changes), the session and the API.</summary>
public abstract class AppComponent : ComponentBase, IDisposable
{
    [Inject] protected Lang L { get; set; } = default!;
    [Inject] protected Session Session { get; set; } = default!;
    [Inject] protected ApiClient Api { get; set; } = default!;
    [Inject] protected NavigationManager Navigation { get; set; } = default!;

    protected override void OnInitialized() => L.Changed += OnLanguageChanged;

    private void OnLanguageChanged() => InvokeAsync(StateHasChanged);

    /// <summary>Sends a signed-out visitor to sign-in; true when the page may go on.</summary>
    protected bool RequireSignIn()
    {
        if (Session.IsSignedIn) return true;
        // Back here after signing in (a link from a notification, a reload: the token lives in memory only).
        var here = Navigation.ToBaseRelativePath(Navigation.Uri);
        if (!here.StartsWith("signin", StringComparison.Ordinal))
        {
            Navigation.NavigateTo("signin?return=" + Uri.EscapeDataString(here));
        }
        return false;
    }

    protected string Status(string status) => L["status." + status];

    protected string Category(string? id) => Categories.Name(id, L.IsChinese);

    public virtual void Dispose()
    {
        L.Changed -= OnLanguageChanged;
        GC.SuppressFinalize(this);
    }
}
