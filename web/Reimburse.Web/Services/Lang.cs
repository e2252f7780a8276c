using Microsoft.JSInterop;

namespace Reimburse.Web.Services;

/// <summary>The language the app speaks: English or zh-HK, remembered in the browser (a preference, not a secret).</summary>
public sealed class Lang(IJSRuntime js)
{
    private const string StorageKey = "reimburse.lang";

    public string Current { get; private set; } = Strings.English;

    public bool IsChinese => Current == Strings.Chinese;

    public event Action? Changed;

    public string this[string key] => Strings.Get(key, Current);

    /// <summary>Reads the remembered choice, else the browser's language (zh-* gets zh-HK).</summary>
    public async Task LoadAsync()
    {
        try
        {
            var saved = await js.InvokeAsync<string?>("reimburse.getPref", StorageKey);
            var browser = saved is null ? await js.InvokeAsync<string?>("reimburse.browserLanguage") : null;
            Current = Normalize(saved ?? browser);
            await js.InvokeVoidAsync("reimburse.setDocumentLanguage", Current);
        }
        catch (JSException)
        {
            // Storage blocked (private mode): English, not remembered.
        }
    }

    public async Task SetAsync(string language)
    {
        Current = Normalize(language);
        Changed?.Invoke();
        try
        {
            await js.InvokeVoidAsync("reimburse.setPref", StorageKey, Current);
            await js.InvokeVoidAsync("reimburse.setDocumentLanguage", Current);
        }
        catch (JSException)
        {
        }
    }

    public static string Normalize(string? language) =>
        language is not null && language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Strings.Chinese : Strings.English;
}
