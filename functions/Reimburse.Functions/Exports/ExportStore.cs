using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Reimburse.Core.Exports;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Hosting.Storage;

namespace Reimburse.Functions.Exports;

/// <summary>Per-claim result of a batch.</summary>
public static class ExportClaimStatus
{
    /// <summary>In the batch's file(s).</summary>
    public const string Exported = "exported";
    /// <summary>Waiting for the API sync.</summary>
    public const string Queued = "queued";
    /// <summary>Accepted by the accounting system; <c>remoteId</c> names the bill there.</summary>
    public const string Posted = "posted";
    /// <summary>Not exported; <c>reason</c> says why (it can be exported again once fixed).</summary>
    public const string Failed = "failed";
}

/// <summary>Batch states.</summary>
public static class ExportBatchStatus
{
    public const string Building = "building";
    public const string Completed = "completed";
    public const string Syncing = "syncing";
    public const string CompletedWithFailures = "completed-with-failures";
}

/// <summary>The storage of exports: table <c>exports</c> (partition = batch id: row <c>batch</c> plus one row per claim),
/// table <c>exportmarks</c> (partition = claim id, row = target: which batch exported the claim, the remote id — the
/// insert-if-absent that makes a claim exported once per target; row <c>fx</c>: a rate override), table <c>fxrates</c>
/// (partition = currency, row = date) and container <c>exports</c> (the files, under the batch id).</summary>
public sealed class ExportStore(ReimburseStorage storage)
{
    public const string BatchRow = "batch";
    public const string ClaimRowPrefix = "claim-";
    public const string FxOverrideRow = "fx";
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public TableClient Batches { get; } = storage.Table("exports");
    public TableClient Marks { get; } = storage.Table("exportmarks");
    public TableClient Rates { get; } = storage.Table("fxrates");
    public Azure.Storage.Blobs.BlobContainerClient Files { get; } = storage.Container("exports");

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default) => await Task.WhenAll(
        Batches.CreateIfNotExistsAsync(cancellationToken),
        Marks.CreateIfNotExistsAsync(cancellationToken),
        Rates.CreateIfNotExistsAsync(cancellationToken),
        Files.CreateIfNotExistsAsync(cancellationToken: cancellationToken));

    public static string ClaimRowKey(string claimId) => ClaimRowPrefix + claimId;

    public Task<TableEntity?> GetBatchAsync(string batchId, CancellationToken cancellationToken = default) =>
        Batches.GetEntityOrDefaultAsync(batchId, BatchRow, cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<TableEntity>> GetBatchClaimsAsync(string batchId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in Batches.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {batchId} and RowKey ge {ClaimRowPrefix} and RowKey lt {ClaimRowPrefix + "~"}"), cancellationToken: cancellationToken))
        {
            rows.Add(e);
        }
        return rows;
    }

    /// <summary>The export marks of a claim (one per target it was exported to) and its rate override.</summary>
    public async Task<IReadOnlyList<TableEntity>> GetMarksAsync(string claimId, CancellationToken cancellationToken = default)
    {
        var rows = new List<TableEntity>();
        await foreach (var e in Marks.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {claimId}"), cancellationToken: cancellationToken))
        {
            rows.Add(e);
        }
        return rows;
    }

    /// <summary>Every rate of the currencies asked for.</summary>
    public async Task<IReadOnlyList<FxRate>> GetRatesAsync(IEnumerable<string> currencies, string baseCurrency, CancellationToken cancellationToken = default)
    {
        var rates = new List<FxRate>();
        foreach (var currency in currencies.Distinct(StringComparer.Ordinal))
        {
            await foreach (var e in Rates.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {currency}"), cancellationToken: cancellationToken))
            {
                if (ReadRate(e) is { } r && r.BaseCurrency == baseCurrency) rates.Add(r);
            }
        }
        return rates;
    }

    public static TableEntity RateEntity(FxRate rate, string enteredBy) => new(rate.Currency, rate.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
    {
        ["Rate"] = rate.RateText,
        ["Base"] = rate.BaseCurrency,
        ["Source"] = rate.Source,
        ["EnteredBy"] = enteredBy,
        ["OverrideReason"] = rate.OverrideReason,
    };

    public static FxRate? ReadRate(TableEntity e, string? currency = null)
    {
        if (!decimal.TryParse(e.GetString("Rate"), NumberStyles.Number, CultureInfo.InvariantCulture, out var rate)) return null;
        var date = DateOnly.TryParseExact(e.GetString("Date") ?? e.RowKey, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : default;
        return new FxRate(currency ?? e.GetString("Currency") ?? e.PartitionKey, e.GetString("Base") ?? "HKD", rate, date, e.GetString("Source") ?? "", e.GetString("OverrideReason"));
    }

    public async Task PutFileAsync(string batchId, ExportFile file, CancellationToken cancellationToken = default) =>
        await Files.GetBlobClient($"{batchId}/{file.Name}").UploadAsync(new BinaryData(file.Content),
            new Azure.Storage.Blobs.Models.BlobUploadOptions { HttpHeaders = new() { ContentType = file.ContentType } }, cancellationToken);

    public async Task<ExportFile?> GetFileAsync(string batchId, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            var blob = await Files.GetBlobClient($"{batchId}/{name}").DownloadContentAsync(cancellationToken);
            return new ExportFile(name, blob.Value.Details.ContentType, blob.Value.Content.ToArray());
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
