using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting.Storage;

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
    public const string ApprovalIndexTable = "approvalindex";
    public const string LedgerTable = "ledger";

    public ReimburseStorage(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables, IOptions<StorageOptions> options, StorageRequestCounter counter)
    {
        ArgumentNullException.ThrowIfNull(options);
        Blobs = blobs;
        Queues = queues;
        Tables = tables;
        Prefix = options.Value.ResourcePrefix;
        Counter = counter;

        Claims = Table(ClaimsTable);
        ClaimIndex = Table(ClaimIndexTable);
        Receipts = Container(ReceiptsContainer);
        Inbox = Container(InboxContainer);
        Quarantine = Container(QuarantineContainer);
        Config = Container(ConfigContainer);
        ApprovalIndex = Table(ApprovalIndexTable);
        Ledger = Table(LedgerTable);
    }

    /// <summary>Outside dependency injection (benchmarks, tools, tests): the same clients <see cref="StorageClients.AddReimburseStorage"/> registers.</summary>
    public static ReimburseStorage Create(StorageOptions options, StorageRequestCounter? counter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        counter ??= new StorageRequestCounter();
        return new ReimburseStorage(
            StorageClients.CreateBlobServiceClient(options, StorageClients.Configure(new BlobClientOptions(), options, counter)),
            StorageClients.CreateQueueServiceClient(options, StorageClients.Configure(new QueueClientOptions(), options, counter)),
            StorageClients.CreateTableServiceClient(options, StorageClients.Configure(new TableClientOptions(), options, counter)),
            Options.Create(options), counter);
    }

    public BlobServiceClient Blobs { get; }
    public QueueServiceClient Queues { get; }
    public TableServiceClient Tables { get; }
    /// <summary>Prepended to every resource name.</summary>
    public string Prefix { get; }
    /// <summary>Counts every storage request this process sends (benchmarks report requests per claim).</summary>
    public StorageRequestCounter Counter { get; }
    public TableClient Claims { get; }
    public TableClient ClaimIndex { get; }
    public BlobContainerClient Receipts { get; }
    public BlobContainerClient Inbox { get; }
    public BlobContainerClient Quarantine { get; }
    public BlobContainerClient Config { get; }
    /// <summary>Pending approvals per user (rows added by the CommitWorkflow activity for the new step).</summary>
    public TableClient ApprovalIndex { get; }
    /// <summary>Approved claims handed to accounting, one row per PostToLedger effect key.</summary>
    public TableClient Ledger { get; }

    /// <summary>Table names allow letters and digits only, so the prefix is joined without a separator.</summary>
    public TableClient Table(string name) => Tables.GetTableClient(Prefix + name);
    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(Prefix + name);
    public QueueClient Queue(string name) => Queues.GetQueueClient(Prefix + name);
    /// <summary>The full (prefixed) queue name, as a function.json or a poison queue refers to it.</summary>
    public string QueueName(string name) => Prefix + name;

    /// <summary>Creates every table, container and queue the app needs (idempotent).</summary>
    public async Task EnsureCreatedAsync(IEnumerable<string> extraQueues, CancellationToken cancellationToken = default)
    {
        var tasks = new List<Task>
        {
            Claims.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            ClaimIndex.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            ApprovalIndex.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Ledger.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Receipts.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Inbox.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Quarantine.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Config.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Container("receipt-readings").CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            Container("risk-models").CreateIfNotExistsAsync(cancellationToken: cancellationToken),
        };
        tasks.AddRange(extraQueues.Distinct(StringComparer.Ordinal).Select(q => Queue(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        await Task.WhenAll(tasks);
    }
}
