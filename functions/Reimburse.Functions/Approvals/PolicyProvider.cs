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
                var policy = PolicyLoader.Load(blob.Content.ToString(), company, readCalendar: ReadCalendar);
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

    /// <summary>An office calendar named by the policy: one an admin uploaded (config blob {company}/calendars/{name}), else
    /// the shipped seed/calendars file. Synchronous because the policy loader is; read at most once per cache period.</summary>
    private string? ReadCalendar(string name)
    {
        if (name.Length == 0 || name != Path.GetFileName(name) || !name.EndsWith(".ics", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            return storage.Config.GetBlobClient(CalendarBlob(companies.CompanyId, name)).DownloadContent().Value.Content.ToString();
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            return OfficeCalendars.ReadShipped(name);
        }
    }

    public static string CalendarBlob(string companyId, string name) => $"{companyId}/calendars/{name}";

    public void Invalidate() => _cached = null;
}
