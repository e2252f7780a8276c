using Reimburse.Core.Approvals;
using Reimburse.Core.Company;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Approvals;

/// <summary>The company's approval policy (config blob {companyId}/policy.yaml, seeded by DemoSeeder), validated with
/// <see cref="PolicyLoader"/> and cached briefly like the directory, so the hot path makes no storage call.</summary>
public sealed class PolicyProvider(ReimburseStorage storage, CompanyProvider companies, DelegationStore delegations, ReachDelivery reach, TimeProvider clock)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (ApprovalPolicy Policy, CompanyDirectory Company, DateTimeOffset LoadedAt)? _cached;

    /// <summary>The policy with the directory it was validated against.</summary>
    public async Task<(ApprovalPolicy Policy, CompanyDirectory Company)> GetAsync(CancellationToken cancellationToken = default)
    {
        var company = await companies.GetAsync(cancellationToken);
        if (_cached is { } c && ReferenceEquals(c.Company, company) && clock.GetUtcNow() - c.LoadedAt < CacheFor)
        {
            return (c.Policy, c.Company);
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } again && ReferenceEquals(again.Company, company) && clock.GetUtcNow() - again.LoadedAt < CacheFor)
            {
                return (again.Policy, again.Company);
            }
            try
            {
                var blob = (await storage.Config.GetBlobClient(CompanyProvider.PolicyBlob(companies.CompanyId)).DownloadContentAsync(cancellationToken)).Value;
                var calendars = await UploadedCalendarsAsync(cancellationToken);
                var policy = PolicyLoader.Load(blob.Content.ToString(), company,
                    readCalendar: name => calendars.TryGetValue(name, out var uploaded) ? uploaded : OfficeCalendars.ReadShipped(name));
                _cached = (policy, company, clock.GetUtcNow());
                return (policy, company);
            }
            catch (Exception ex) when (_cached is { } stale && ex is not PolicyValidationException)
            {
                // A brief storage outage should not stop approvals; keep the last good policy.
                return (stale.Policy, stale.Company);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The calendar and delegations (the policy's standing ones and those recorded at runtime) the state machine needs.</summary>
    public async Task<WorkflowContext> ContextAsync(CancellationToken cancellationToken = default) =>
        await ContextAsync((await GetAsync(cancellationToken)).Policy, cancellationToken);

    public async Task<WorkflowContext> ContextAsync(ApprovalPolicy policy, CancellationToken cancellationToken = default) =>
        await reach.WithPeopleAsync(WorkflowContext.For(policy, (await delegations.ListAsync(cancellationToken)).Select(d => d.Delegation)),
            await companies.GetAsync(cancellationToken), countsOn: null, cancellationToken);

    /// <summary>The context for a timer (a reminder or a ladder rung): with each person's SMS / call count of
    /// <paramref name="today"/>, for the policy's daily cap.</summary>
    public async Task<WorkflowContext> ContextForTimersAsync(DateOnly today, CancellationToken cancellationToken = default)
    {
        var (policy, company) = await GetAsync(cancellationToken);
        return await reach.WithPeopleAsync(WorkflowContext.For(policy, (await delegations.ListAsync(cancellationToken)).Select(d => d.Delegation)),
            company, today, cancellationToken);
    }

    /// <summary>Office calendars an admin uploaded (config blobs {company}/calendars/*.ics); a policy's calendar file is
    /// looked up here first, then in the shipped seed/calendars.</summary>
    private async Task<Dictionary<string, string>> UploadedCalendarsAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefix = CalendarBlob(companies.CompanyId, "");
        try
        {
            await foreach (var item in storage.Config.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix: prefix, cancellationToken: cancellationToken))
            {
                var name = item.Name[prefix.Length..];
                if (name.EndsWith(".ics", StringComparison.OrdinalIgnoreCase))
                {
                    result[name] = (await storage.Config.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
                }
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // No config container yet: only the shipped calendars.
        }
        return result;
    }

    public static string CalendarBlob(string companyId, string name) => $"{companyId}/calendars/{name}";

    public void Invalidate() => _cached = null;
}
