using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Options;
using Reimburse.Storage;

namespace Reimburse.Functions.Hosting;

/// <summary>The storage resources the app uses, by name. One place so names never drift.</summary>
public sealed class ReimburseStorage
{
    public const string ClaimsTable = "claims";
    public const string ClaimIndexTable = "claimindex";
    public const string ReceiptsContainer = "receipts";
    public const string InboxContainer = "receipts-inbox";
    public const string QuarantineContainer = "receipts-quarantine";
    public const string ConfigContainer = "config";
    public const string ClaimSubmittedQueue = "claim-submitted";
    public const string ReceiptDropsQueue = "receipt-drops";
    public const string ApprovalIndexTable = "approvalindex";
    public const string LedgerTable = "ledger";

    public ReimburseStorage(IOptions<StorageOptions> options, StorageRequestCounter counter)
    {
        var o = options.Value;
        Prefix = o.ResourcePrefix;
        Account = CreateAccount(o);
        ClientOptions = new StorageClientOptions();
        ClientOptions.Retry.MaxRetries = o.MaxRetries;
        ClientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        ClientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        ClientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(o.NetworkTimeoutSeconds);
        ClientOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        Counter = counter;

        Claims = Table(ClaimsTable);
        ClaimIndex = Table(ClaimIndexTable);
        Receipts = Container(ReceiptsContainer);
        Inbox = Container(InboxContainer);
        Quarantine = Container(QuarantineContainer);
        Config = Container(ConfigContainer);
        ClaimSubmitted = Queue(ClaimSubmittedQueue);
        ReceiptDrops = Queue(ReceiptDropsQueue);
        ApprovalIndex = Table(ApprovalIndexTable);
        Ledger = Table(LedgerTable);
    }

    public StorageAccount Account { get; }
    /// <summary>Prepended to every resource name.</summary>
    public string Prefix { get; }
    public StorageClientOptions ClientOptions { get; }
    /// <summary>Counts every storage request this process sends (benchmarks report requests per claim).</summary>
    public StorageRequestCounter Counter { get; }
    public TableClient Claims { get; }
    public TableClient ClaimIndex { get; }
    public BlobContainerClient Receipts { get; }
    public BlobContainerClient Inbox { get; }
    public BlobContainerClient Quarantine { get; }
    public BlobContainerClient Config { get; }
    public QueueClient ClaimSubmitted { get; }
    public QueueClient ReceiptDrops { get; }
    /// <summary>Pending approvals per user (kept by the claim-change dispatcher).</summary>
    public TableClient ApprovalIndex { get; }
    /// <summary>Approved claims handed to accounting, one row per PostToLedger effect key.</summary>
    public TableClient Ledger { get; }

    /// <summary>Table names allow letters and digits only, so the prefix is joined without a separator.</summary>
    public TableClient Table(string name) => new(Account, Prefix + name, ClientOptions);
    public BlobContainerClient Container(string name) => new(Account, Prefix + name, ClientOptions);
    public QueueClient Queue(string name) => new(Account, Prefix + name, ClientOptions);
    /// <summary>The full (prefixed) queue name, as a function.json or a poison queue refers to it.</summary>
    public string QueueName(string name) => Prefix + name;

    /// <summary>Creates every table, container and queue the app needs (idempotent).</summary>
    public async Task EnsureCreatedAsync(IEnumerable<string> extraQueues, CancellationToken cancellationToken = default)
    {
        var tasks = new List<Task>
        {
            Claims.CreateIfNotExistsAsync(cancellationToken),
            ClaimIndex.CreateIfNotExistsAsync(cancellationToken),
            ApprovalIndex.CreateIfNotExistsAsync(cancellationToken),
            Ledger.CreateIfNotExistsAsync(cancellationToken),
            Receipts.CreateIfNotExistsAsync(cancellationToken),
            Inbox.CreateIfNotExistsAsync(cancellationToken),
            Quarantine.CreateIfNotExistsAsync(cancellationToken),
            Config.CreateIfNotExistsAsync(cancellationToken),
            Container("receipt-readings").CreateIfNotExistsAsync(cancellationToken),
            Container("risk-models").CreateIfNotExistsAsync(cancellationToken),
        };
        tasks.AddRange(extraQueues.Distinct(StringComparer.Ordinal).Select(q => Queue(q).CreateIfNotExistsAsync(cancellationToken)));
        await Task.WhenAll(tasks);
    }

    private static StorageAccount CreateAccount(StorageOptions o)
    {
        if (!string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            return StorageAccount.Parse(o.ConnectionString);
        }
        var name = o.AccountName ?? throw new InvalidOperationException($"Set {StorageOptions.Section}:ConnectionString or {StorageOptions.Section}:AccountName.");
        TokenCredential credential = o.ManagedIdentityClientId is { Length: > 0 } id
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(id))
            : new DefaultAzureCredential();
        return StorageAccount.FromCredential(name,
            new Uri($"https://{name}.blob.core.windows.net"),
            new Uri($"https://{name}.queue.core.windows.net"),
            new Uri($"https://{name}.table.core.windows.net"),
            credential);
    }
}
