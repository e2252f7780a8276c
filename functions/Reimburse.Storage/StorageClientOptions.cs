using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>Options shared by the Blob, Queue and Table clients (retries, logging, extra policies).</summary>
public sealed class StorageClientOptions : ClientOptions
{
    /// <summary>x-ms-version sent to Blob and Queue.</summary>
    public string BlobQueueVersion { get; set; } = "2021-12-02";

    /// <summary>x-ms-version sent to Table.</summary>
    public string TableVersion { get; set; } = "2019-02-02";
}

/// <summary>Counts every request the pipeline sends (add per-retry to count retries too); used to report storage requests per claim.</summary>
public sealed class StorageRequestCounter : HttpPipelinePolicy
{
    private long _count;

    /// <summary>Requests seen since creation or the last <see cref="Reset"/>.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Sets the count back to zero.</summary>
    public void Reset() => Interlocked.Exchange(ref _count, 0);

    /// <inheritdoc />
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        ProcessNext(message, pipeline);
    }

    /// <inheritdoc />
    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Interlocked.Increment(ref _count);
        return ProcessNextAsync(message, pipeline);
    }
}
