using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>An account's endpoints plus how to authenticate (SharedKey or a TokenCredential).</summary>
public sealed class StorageAccount
{
    /// <summary>Azurite's well-known account.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known key (public, documented by Microsoft).</summary>
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Scope requested from a TokenCredential for Blob, Queue and Table.</summary>
    public const string TokenScope = "https://storage.azure.com/.default";

    private readonly byte[]? _key;
    private readonly TokenCredential? _credential;

    private StorageAccount(string accountName, Uri blob, Uri queue, Uri table, byte[]? key, TokenCredential? credential)
    {
        AccountName = accountName;
        BlobEndpoint = blob;
        QueueEndpoint = queue;
        TableEndpoint = table;
        _key = key;
        _credential = credential;
    }

    /// <summary>Account name used in SharedKey signatures.</summary>
    public string AccountName { get; }

    /// <summary>Blob service root, e.g. https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1.</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>Queue service root.</summary>
    public Uri QueueEndpoint { get; }

    /// <summary>Table service root.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>True when requests are signed with the account key (SharedKey), false for a TokenCredential.</summary>
    public bool UsesSharedKey => _key is not null;

    /// <summary>Parses a connection string (AccountName/AccountKey/…Endpoint/DefaultEndpointsProtocol, or UseDevelopmentStorage=true).</summary>
    public static StorageAccount Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"Connection string segment '{Redact(part)}' is not Name=Value.", nameof(connectionString));
            }
            var name = part[..eq].Trim();
            if (!settings.TryAdd(name, part[(eq + 1)..].Trim()))
            {
                throw new ArgumentException($"Connection string sets '{name}' twice.", nameof(connectionString));
            }
        }
        if (settings.Count == 0)
        {
            throw new ArgumentException("Connection string is empty.", nameof(connectionString));
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var dev))
        {
            if (!string.Equals(dev, "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException("UseDevelopmentStorage must be 'true' when present.", nameof(connectionString));
            }
            if (settings.Count > 1)
            {
                throw new ArgumentException("UseDevelopmentStorage=true cannot be combined with other settings (use explicit endpoints instead).", nameof(connectionString));
            }
            return new StorageAccount(
                DevelopmentAccountName,
                new Uri("http://127.0.0.1:10000/" + DevelopmentAccountName),
                new Uri("http://127.0.0.1:10001/" + DevelopmentAccountName),
                new Uri("http://127.0.0.1:10002/" + DevelopmentAccountName),
                Convert.FromBase64String(DevelopmentAccountKey),
                null);
        }

        if (settings.ContainsKey("SharedAccessSignature"))
        {
            throw new ArgumentException("SharedAccessSignature connection strings are not supported; use AccountKey or a TokenCredential.", nameof(connectionString));
        }
        if (!settings.TryGetValue("AccountName", out var account) || account.Length == 0)
        {
            throw new ArgumentException("Connection string has no AccountName.", nameof(connectionString));
        }
        if (!settings.TryGetValue("AccountKey", out var keyText) || keyText.Length == 0)
        {
            throw new ArgumentException("Connection string has no AccountKey.", nameof(connectionString));
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(keyText);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException("AccountKey is not valid Base64.", nameof(connectionString), ex);
        }

        var protocol = settings.TryGetValue("DefaultEndpointsProtocol", out var p) ? p.ToLowerInvariant() : "https";
        if (protocol is not ("http" or "https"))
        {
            throw new ArgumentException($"DefaultEndpointsProtocol must be http or https, not '{p}'.", nameof(connectionString));
        }
        var suffix = settings.TryGetValue("EndpointSuffix", out var s) && s.Length > 0 ? s : "core.windows.net";

        Uri Endpoint(string setting, string service)
        {
            if (settings.TryGetValue(setting, out var explicitEndpoint) && explicitEndpoint.Length > 0)
            {
                if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    throw new ArgumentException($"{setting} '{explicitEndpoint}' is not an absolute http(s) URL.", nameof(connectionString));
                }
                return uri;
            }
            return new Uri($"{protocol}://{account}.{service}.{suffix}");
        }

        return new StorageAccount(account, Endpoint("BlobEndpoint", "blob"), Endpoint("QueueEndpoint", "queue"), Endpoint("TableEndpoint", "table"), key, null);
    }

    /// <summary>Production: endpoints plus a TokenCredential (scope https://storage.azure.com/.default).</summary>
    public static StorageAccount FromCredential(string accountName, Uri blobEndpoint, Uri queueEndpoint, Uri tableEndpoint, TokenCredential credential)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentNullException.ThrowIfNull(blobEndpoint);
        ArgumentNullException.ThrowIfNull(queueEndpoint);
        ArgumentNullException.ThrowIfNull(tableEndpoint);
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageAccount(accountName, blobEndpoint, queueEndpoint, tableEndpoint, null, credential);
    }

    internal HttpPipelinePolicy CreateAuthPolicy(bool table) =>
        _key is not null
            ? new SharedKeyCredentialPolicy(AccountName, _key, table)
            : new BearerTokenAuthenticationPolicy(_credential!, TokenScope);

    // Never echo a key back into an exception message.
    private static string Redact(string part) => part.Length > 12 ? part[..12] + "…" : part;
}
