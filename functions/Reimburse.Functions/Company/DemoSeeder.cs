using Microsoft.Extensions.Options;
using Reimburse.Functions.Hosting;
using Azure;
using Azure.Storage.Blobs.Models;

namespace Reimburse.Functions.Company;

/// <summary>Uploads the demo company (company.yaml, policy.yaml) when storage has none. Idempotent.</summary>
public sealed partial class DemoSeeder(ReimburseStorage storage, CompanyProvider company, IOptions<SeedOptions> options, ILogger<DemoSeeder> logger)
{
    public static string DefaultFolder => Path.Combine(AppContext.BaseDirectory, "seed", "harbour-trading");

    public async Task SeedAsync(CancellationToken cancellationToken = default)
    {
        if (!options.Value.Demo)
        {
            return;
        }
        var folder = options.Value.Folder ?? DefaultFolder;
        foreach (var (file, blob) in new[] { ("company.yaml", CompanyProvider.CompanyBlob(company.CompanyId)), ("policy.yaml", CompanyProvider.PolicyBlob(company.CompanyId)) })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                continue;
            }
            var text = await File.ReadAllTextAsync(path, cancellationToken);
            if (file == "company.yaml")
            {
                CompanyLoader.Parse(text); // refuse to seed a broken file
            }
            try
            {
                await storage.Config.GetBlobClient(blob).UploadAsync(BinaryData.FromString(text), new BlobUploadOptions { HttpHeaders = new() { ContentType = "application/yaml" }, Conditions = new() { IfNoneMatch = ETag.All } }, cancellationToken);
                LogSeeded(logger, blob);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 409)
            {
                // Already seeded: keep what is there (an admin may have edited it).
            }
        }
        company.Invalidate();
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Seeded demo configuration {Blob}")]
    private static partial void LogSeeded(ILogger logger, string blob);
}
