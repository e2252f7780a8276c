using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Reimburse.LocalHost;

/// <summary>Storage clients for the triggers: the connection and resource prefix LocalHost runs with.</summary>
public sealed class TriggerStorage(IOptions<LocalHostOptions> options, IConfiguration configuration)
{
    private readonly string _connection = options.Value.ConnectionString
        ?? configuration["AzureWebJobsStorage"] ?? configuration["Reimburse:Storage:ConnectionString"]
        ?? throw new InvalidOperationException("Set AzureWebJobsStorage (or LocalHost:ConnectionString).");

    public string ConnectionString => _connection;
    public string Prefix { get; } = options.Value.ResourcePrefix ?? configuration["Reimburse:Storage:ResourcePrefix"] ?? "";

    public QueueClient Queue(string name) => new(_connection, Prefix + name);
    public BlobContainerClient Container(string name) => new(_connection, Prefix + name);
}
