using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Company;

/// <summary>The company directory, read from the config container and cached briefly so the hot path makes no storage call.</summary>
public sealed class CompanyProvider(ReimburseStorage storage, IOptions<CompanyOptions> options, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (CompanyDirectory Company, DateTimeOffset LoadedAt)? _cached;

    public string CompanyId => options.Value.Id;
    public static string CompanyBlob(string companyId) => $"{companyId}/company.yaml";
    public static string PolicyBlob(string companyId) => $"{companyId}/policy.yaml";

    public async Task<CompanyDirectory> GetAsync(CancellationToken cancellationToken = default)
    {
        var cached = _cached;
        if (cached is { } c && clock.GetUtcNow() - c.LoadedAt < CacheFor)
        {
            return c.Company;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && clock.GetUtcNow() - again.LoadedAt < CacheFor)
            {
                return again.Company;
            }
            try
            {
                var blob = (await storage.Config.GetBlobClient(CompanyBlob(CompanyId)).DownloadContentAsync(cancellationToken)).Value;
                var company = CompanyLoader.Parse(blob.Content.ToString());
                _cached = (company, clock.GetUtcNow());
                return company;
            }
            catch (Exception) when (_cached is { } stale)
            {
                // A brief storage outage should not take the directory away; serve the last good copy.
                return stale.Company;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Drops the cache (after an admin changes the directory, or in tests).</summary>
    public void Invalidate() => _cached = null;

    /// <summary>The company's local "today" (Hong Kong has no daylight saving, but honour the configured zone).</summary>
    public static DateOnly LocalToday(CompanyDirectory company, DateTimeOffset utcNow)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(company.TimeZone, out var tz) ? tz : TimeZoneInfo.Utc;
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(utcNow, zone).DateTime);
    }
}
