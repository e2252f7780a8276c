using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Hosting.Storage;

/// <summary>The Azure SDK storage clients, built from <see cref="StorageOptions"/>: a connection string locally
/// (Azurite), or the account name with <see cref="DefaultAzureCredential"/> / a user-assigned managed identity in Azure.
/// Every client gets the same retries, timeout and request counter.</summary>
public static class StorageClients
{
    /// <summary>Registers <see cref="BlobServiceClient"/>, <see cref="QueueServiceClient"/> and
    /// <see cref="TableServiceClient"/> (through <c>AddAzureClients</c>), the request counter and <see cref="ReimburseStorage"/>.</summary>
    public static IServiceCollection AddReimburseStorage(this IServiceCollection services)
    {
        services.AddSingleton<StorageRequestCounter>();
        services.AddAzureClients(azure =>
        {
            azure.UseCredential(sp => CreateCredential(Settings(sp)));
            azure.AddClient<BlobServiceClient, BlobClientOptions>((options, credential, sp) =>
                CreateBlobServiceClient(Settings(sp), Configure(options, Settings(sp), sp.GetRequiredService<StorageRequestCounter>()), credential));
            azure.AddClient<QueueServiceClient, QueueClientOptions>((options, credential, sp) =>
                CreateQueueServiceClient(Settings(sp), Configure(options, Settings(sp), sp.GetRequiredService<StorageRequestCounter>()), credential));
            azure.AddClient<TableServiceClient, TableClientOptions>((options, credential, sp) =>
                CreateTableServiceClient(Settings(sp), Configure(options, Settings(sp), sp.GetRequiredService<StorageRequestCounter>()), credential));
        });
        services.AddSingleton<ReimburseStorage>();
        return services;
    }

    /// <summary>Retries and timeout from the options, the counter on every try; blob metadata checked before sending;
    /// queue messages Base64 as the Functions queue trigger expects (host.json).</summary>
    public static T Configure<T>(T options, StorageOptions settings, StorageRequestCounter counter) where T : ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        options.Retry.MaxRetries = settings.MaxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(settings.NetworkTimeoutSeconds);
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        switch (options)
        {
            case BlobClientOptions:
                options.AddPolicy(new BlobMetadataPolicy(), HttpPipelinePosition.PerCall);
                break;
            case QueueClientOptions queue:
                queue.MessageEncoding = QueueMessageEncoding.Base64;
                break;
        }
        return options;
    }

    /// <summary>The credential for managed identity: a user-assigned identity when its client id is set, else the default chain.</summary>
    public static TokenCredential CreateCredential(StorageOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.ManagedIdentityClientId is { Length: > 0 } id
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(id))
            : new DefaultAzureCredential();
    }

    public static BlobServiceClient CreateBlobServiceClient(StorageOptions settings, BlobClientOptions options, TokenCredential? credential = null) =>
        ConnectionString(settings) is { } cs ? new BlobServiceClient(cs, options) : new BlobServiceClient(Endpoint(settings, "blob"), credential ?? CreateCredential(settings), options);

    public static QueueServiceClient CreateQueueServiceClient(StorageOptions settings, QueueClientOptions options, TokenCredential? credential = null) =>
        ConnectionString(settings) is { } cs ? new QueueServiceClient(cs, options) : new QueueServiceClient(Endpoint(settings, "queue"), credential ?? CreateCredential(settings), options);

    public static TableServiceClient CreateTableServiceClient(StorageOptions settings, TableClientOptions options, TokenCredential? credential = null) =>
        ConnectionString(settings) is { } cs ? new TableServiceClient(cs, options) : new TableServiceClient(Endpoint(settings, "table"), credential ?? CreateCredential(settings), options);

    private static StorageOptions Settings(IServiceProvider sp) => sp.GetRequiredService<IOptions<StorageOptions>>().Value;

    private static string? ConnectionString(StorageOptions settings) =>
        string.IsNullOrWhiteSpace(settings.ConnectionString) ? null : settings.ConnectionString;

    private static Uri Endpoint(StorageOptions settings, string service)
    {
        var name = settings.AccountName is { Length: > 0 } n ? n
            : throw new InvalidOperationException($"Set {StorageOptions.Section}:ConnectionString or {StorageOptions.Section}:AccountName.");
        return new Uri($"https://{name}.{service}.core.windows.net");
    }
}
