using Microsoft.AspNetCore.DataProtection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Exports;
using Reimburse.Functions.Exports.Sync;

// In the Hosting namespace so ReimburseServices needs one call line each and no using.
namespace Reimburse.Functions.Hosting;

/// <summary>Wiring of exports to Xero and QuickBooks (docs/export.md).</summary>
public static class ExportServices
{
    public static IServiceCollection AddExports(this IServiceCollection services)
    {
        services.AddOptions<AccountingOptions>().BindConfiguration(AccountingOptions.Section).ValidateDataAnnotations()
            .Validate(o => Valid(o.Xero) && Valid(o.QuickBooks), $"{AccountingOptions.Section}: every Xero/QuickBooks URL must be absolute.")
            .ValidateOnStart();
        var dataProtection = services.AddDataProtection().SetApplicationName("Reimburse");
        services.AddSingleton<IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>>(sp =>
            new ConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(k =>
            {
                // Local runs keep the key ring beside the app's data (./run.sh sets it); Azure configures blob + Key Vault.
                if (sp.GetRequiredService<IOptions<AccountingOptions>>().Value.KeysFolder is { Length: > 0 } folder)
                {
                    k.XmlRepository = new Microsoft.AspNetCore.DataProtection.Repositories.FileSystemXmlRepository(new DirectoryInfo(folder), sp.GetRequiredService<ILoggerFactory>());
                }
            }));
        _ = dataProtection;
        services.AddHttpClient(AccountingConnections.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(100));
        services.AddSingleton<ExportStore>();
        services.AddSingleton<IHostStorageResources, ExportStorageResources>();
        services.AddSingleton<ExportMappings>();
        services.AddSingleton<ExportBatches>();
        services.AddSingleton<AccountingConnections>();
        services.AddSingleton<AccountingHttp>();
        services.AddSingleton<IAccountingApi, XeroApi>();
        services.AddSingleton<IAccountingApi, QuickBooksApi>();
        services.AddSingleton<ExportActivities>();
        services.AddSingleton<ExportOrchestration>();
        return services;
    }

    public static IEndpointRouteBuilder MapExports(this IEndpointRouteBuilder app)
    {
        app.MapExportEndpoints();
        app.MapAccountingEndpoints();
        return app;
    }

    private static bool Valid(AccountingProviderOptions o) =>
        new[] { o.AuthorizeUrl, o.TokenUrl, o.RevokeUrl, o.ApiBaseUrl }.All(u => Uri.TryCreate(u, UriKind.Absolute, out _))
        && (o.ConnectionsUrl is null || Uri.TryCreate(o.ConnectionsUrl, UriKind.Absolute, out _));

    private sealed class ExportStorageResources(ExportStore store, AccountingConnections connections) : IHostStorageResources
    {
        public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
        {
            await store.EnsureCreatedAsync(cancellationToken);
            await connections.Table.CreateIfNotExistsAsync(cancellationToken);
        }
    }
}

/// <summary>The export and accounting API as functions; each runs its endpoint through the shared API pipeline.</summary>
public sealed class ExportFunctions(ApiPipeline api)
{
    [Function("CreateExport")]
    public Task<IResult> CreateExport([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "exports")] HttpRequest req) => api.RunAsync(req, "CreateExport");

    [Function("ListExports")]
    public Task<IResult> ListExports([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "exports")] HttpRequest req) => api.RunAsync(req, "ListExports");

    [Function("GetExport")]
    public Task<IResult> GetExport([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "exports/{id}")] HttpRequest req, string id) => api.RunAsync(req, "GetExport", ("id", id));

    [Function("GetExportFile")]
    public Task<IResult> GetExportFile([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "exports/{id}/file")] HttpRequest req, string id) => api.RunAsync(req, "GetExportFile", ("id", id));

    [Function("RetryExport")]
    public Task<IResult> RetryExport([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "exports/{id}/retry")] HttpRequest req, string id) => api.RunAsync(req, "RetryExport", ("id", id));

    [Function("GetClaimExports")]
    public Task<IResult> GetClaimExports([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}/exports")] HttpRequest req, string id) => api.RunAsync(req, "GetClaimExports", ("id", id));

    [Function("OverrideClaimFxRate")]
    public Task<IResult> OverrideClaimFxRate([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "claims/{id}/fx-rate")] HttpRequest req, string id) => api.RunAsync(req, "OverrideClaimFxRate", ("id", id));

    [Function("ListAccountingConnections")]
    public Task<IResult> ListAccountingConnections([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "accounting/connections")] HttpRequest req) => api.RunAsync(req, "ListAccountingConnections");

    [Function("ConnectAccounting")]
    public Task<IResult> ConnectAccounting([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "accounting/{provider}/connect")] HttpRequest req, string provider) => api.RunAsync(req, "ConnectAccounting", ("provider", provider));

    [Function("AccountingCallback")]
    public Task<IResult> AccountingCallback([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "accounting/{provider}/callback")] HttpRequest req, string provider) => api.RunAsync(req, "AccountingCallback", ("provider", provider));

    [Function("DisconnectAccounting")]
    public Task<IResult> DisconnectAccounting([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "accounting/{provider}")] HttpRequest req, string provider) => api.RunAsync(req, "DisconnectAccounting", ("provider", provider));

    [Function("GetExportMapping")]
    public Task<IResult> GetExportMapping([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "export-mappings/{system}")] HttpRequest req, string system) => api.RunAsync(req, "GetExportMapping", ("system", system));

    [Function("PutExportMapping")]
    public Task<IResult> PutExportMapping([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "export-mappings/{system}")] HttpRequest req, string system) => api.RunAsync(req, "PutExportMapping", ("system", system));

    [Function("ListFxRates")]
    public Task<IResult> ListFxRates([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fx-rates")] HttpRequest req) => api.RunAsync(req, "ListFxRates");

    [Function("PostFxRates")]
    public Task<IResult> PostFxRates([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fx-rates")] HttpRequest req) => api.RunAsync(req, "PostFxRates");
}
