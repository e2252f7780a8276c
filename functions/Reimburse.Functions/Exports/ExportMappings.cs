using System.Text.Json;
using Azure;
using Reimburse.Core.Exports;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Reimburse.Functions.Exports;

/// <summary>The JSON/YAML shape of a mapping (PUT /api/exports/mappings/{system}, seed/…/export-mapping.yaml).</summary>
public sealed class ExportMappingDocument
{
    public Dictionary<string, CategoryAccountDocument>? Categories { get; set; }
    public string? TrackingCategory { get; set; }
    public Dictionary<string, string>? Departments { get; set; }
    public Dictionary<string, string>? Employees { get; set; }
    public int? PaymentTermsDays { get; set; }

    public ExportMapping ToMapping(string system) => new(system,
        (Categories ?? []).ToDictionary(kv => kv.Key, kv => new CategoryAccount(kv.Value?.AccountCode ?? "", kv.Value?.TaxType ?? ""), StringComparer.OrdinalIgnoreCase),
        TrackingCategory,
        new Dictionary<string, string>(Departments ?? [], StringComparer.Ordinal),
        new Dictionary<string, string>(Employees ?? [], StringComparer.Ordinal),
        PaymentTermsDays ?? 14);

    public static ExportMappingDocument From(ExportMapping m) => new()
    {
        Categories = m.Categories.ToDictionary(kv => kv.Key, kv => new CategoryAccountDocument { AccountCode = kv.Value.AccountCode, TaxType = kv.Value.TaxType }),
        TrackingCategory = m.TrackingCategory,
        Departments = m.Departments.ToDictionary(),
        Employees = m.Employees.ToDictionary(),
        PaymentTermsDays = m.PaymentTermsDays,
    };
}

public sealed class CategoryAccountDocument
{
    public string? AccountCode { get; set; }
    public string? TaxType { get; set; }
}

/// <summary>Per company and accounting system, in the config container (<c>{company}/export-mapping-{system}.json</c>);
/// the demo company falls back to <c>seed/harbour-trading/export-mapping.yaml</c>.</summary>
public sealed class ExportMappings(ReimburseStorage storage, CompanyProvider companies, Microsoft.Extensions.Options.IOptions<SeedOptions> seed)
{
    private static string Blob(string companyId, string system) => $"{companyId}/export-mapping-{system}.json";

    public async Task<ExportMapping> GetAsync(string system, CancellationToken cancellationToken = default)
    {
        try
        {
            var blob = await storage.Config.GetBlobClient(Blob(companies.CompanyId, system)).DownloadContentAsync(cancellationToken);
            return (JsonSerializer.Deserialize<ExportMappingDocument>(blob.Value.Content.ToString(), ExportStore.Json) ?? new()).ToMapping(system);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return Seeded(system) ?? ExportMapping.Empty(system);
        }
    }

    public async Task SaveAsync(ExportMapping mapping, CancellationToken cancellationToken = default) =>
        await storage.Config.GetBlobClient(Blob(companies.CompanyId, mapping.System))
            .UploadAsync(BinaryData.FromObjectAsJson(ExportMappingDocument.From(mapping), ExportStore.Json), overwrite: true, cancellationToken);

    private ExportMapping? Seeded(string system)
    {
        if (!seed.Value.Demo) return null;
        var path = Path.Combine(seed.Value.Folder ?? DemoSeeder.DefaultFolder, "export-mapping.yaml");
        if (!File.Exists(path)) return null;
        var all = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<Dictionary<string, ExportMappingDocument>>(File.ReadAllText(path));
        return all.TryGetValue(system, out var doc) ? doc.ToMapping(system) : null;
    }
}
