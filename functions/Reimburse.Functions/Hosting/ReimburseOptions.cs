using System.ComponentModel.DataAnnotations;

namespace Reimburse.Functions.Hosting;

/// <summary>Where storage lives and how to reach it.</summary>
public sealed class StorageOptions
{
    public const string Section = "Reimburse:Storage";

    /// <summary>A connection string (Azurite, or an account key). Leave empty in Azure and set AccountName to use managed identity.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Account name for managed identity (endpoints default to the public cloud).</summary>
    public string? AccountName { get; set; }

    /// <summary>Client id of a user-assigned managed identity, if any.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Azure.Core retries per storage call. Low so a storage outage becomes a quick 503.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;

    [Range(1, 300)]
    public int NetworkTimeoutSeconds { get; set; } = 20;

    /// <summary>Prefix for every table, container and queue name (lower-case letters and digits), so several
    /// environments or test runs can share one account.</summary>
    [RegularExpression("^[a-z0-9]{0,12}$")]
    public string ResourcePrefix { get; set; } = "";
}

/// <summary>Sign-in settings.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Reimburse:Identity";

    /// <summary>HMAC key (Base64, ≥ 32 bytes) for development tokens. Required in Development.</summary>
    public string? DevTokenKey { get; set; }

    [Range(1, 24 * 60)]
    public int DevTokenMinutes { get; set; } = 8 * 60;

    /// <summary>Trust X-MS-CLIENT-PRINCIPAL. Only when App Service Authentication fronts the app.</summary>
    public bool TrustAppServiceAuthentication { get; set; }

    /// <summary>Header carrying the client address from a trusted proxy (e.g. X-Forwarded-For). Empty: use the connection.</summary>
    public string? ClientIpHeader { get; set; }
}

/// <summary>The company this deployment serves and the seed to load.</summary>
public sealed class CompanyOptions
{
    public const string Section = "Reimburse:Company";

    [Required, RegularExpression("^[a-z0-9-]{2,40}$")]
    public string Id { get; set; } = "harbour";
}

/// <summary>Demo seeding (standalone development).</summary>
public sealed class SeedOptions
{
    public const string Section = "Reimburse:Seed";

    /// <summary>Upload the demo company and policy when storage has none.</summary>
    public bool Demo { get; set; }

    /// <summary>Also give the demo company months of synthetic claim history (for the risk model and the KPIs).</summary>
    public bool History { get; set; }

    [System.ComponentModel.DataAnnotations.Range(1, 24)]
    public int HistoryMonths { get; set; } = 6;

    /// <summary>Folder holding company.yaml and policy.yaml.</summary>
    public string? Folder { get; set; }
}

/// <summary>How the in-process trigger loop behaves when no Functions host drives the app.</summary>
public sealed class StandaloneOptions
{
    public const string Section = "Reimburse:Standalone";

    /// <summary>Run queue polling, inbox scanning and timers in-process. Off under the Functions host.</summary>
    public bool Enabled { get; set; } = true;

    [Range(10, 60_000)]
    public int MinPollMilliseconds { get; set; } = 50;

    [Range(50, 60_000)]
    public int MaxPollMilliseconds { get; set; } = 500;

    [Range(1, 64)]
    public int QueueConcurrency { get; set; } = 8;

    [Range(5, 600)]
    public int VisibilityTimeoutSeconds { get; set; } = 30;

    [Range(1, 20)]
    public int MaxDequeueCount { get; set; } = 5;

    [Range(100, 600_000)]
    public int InboxScanMilliseconds { get; set; } = 2000;

    /// <summary>First retry delay after a failed message; doubles per attempt up to 30 s.</summary>
    [Range(10, 60_000)]
    public int RetryBaseMilliseconds { get; set; } = 1000;
}
