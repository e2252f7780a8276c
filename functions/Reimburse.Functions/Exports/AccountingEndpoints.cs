using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Core.Exports;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Exports.Sync;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Exports;

/// <summary>A rate as finance enters it.</summary>
public sealed record FxRateInput(string? Currency, string? Date, string? Rate, string? Source);

/// <summary>A finance override of one claim's rate.</summary>
public sealed record FxOverrideInput(string? Rate, string? Reason);

/// <summary>Company-wide accounting set-up (AccessAction.AccountingSetup: finance and admins): the Xero/QuickBooks
/// connections (OAuth 2.0 + PKCE), the mappings, the exchange-rate table and per-claim rate overrides.</summary>
public static class AccountingEndpoints
{
    public static IEndpointRouteBuilder MapAccountingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/accounting/connections", Connections).RequireAuthorization().WithName("ListAccountingConnections");
        app.MapPost("/api/accounting/{provider}/connect", Connect).RequireAuthorization().WithName("ConnectAccounting");
        // The vendor's redirect: the single-use state (bound to the PKCE verifier) authenticates it, not a bearer token.
        app.MapGet("/api/accounting/{provider}/callback", Callback).AllowAnonymous().WithName("AccountingCallback");
        app.MapDelete("/api/accounting/{provider}", Disconnect).RequireAuthorization().WithName("DisconnectAccounting");
        app.MapGet("/api/export-mappings/{system}", GetMapping).RequireAuthorization().WithName("GetExportMapping");
        app.MapPut("/api/export-mappings/{system}", PutMapping).RequireAuthorization().WithName("PutExportMapping");
        app.MapGet("/api/fx-rates", ListRates).RequireAuthorization().WithName("ListFxRates");
        app.MapPost("/api/fx-rates", PostRates).RequireAuthorization().WithName("PostFxRates");
        app.MapPut("/api/claims/{id}/fx-rate", OverrideRate).RequireAuthorization().WithName("OverrideClaimFxRate");
        return app;
    }

    private static async Task<(Caller Caller, IResult? Problem)> AuthorizeAsync(HttpContext http, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        return (await guard.CheckAsync(caller, AccessAction.AccountingSetup, AccessTarget.None, cancellationToken)).Allowed
            ? (caller, null)
            : (caller, Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only finance and admins manage the accounting set-up."));
    }

    private static IResult UnknownProvider() => Problems.ValidationFailed(new Dictionary<string, string[]> { ["provider"] = ["Must be xero or quickbooks."] });

    public static async Task<IResult> Connections(HttpContext http, AccountingConnections connections, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (_, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        return problem ?? TypedResults.Ok(new { items = await connections.ListAsync(cancellationToken) });
    }

    /// <summary>Starts the authorization code + PKCE flow: returns the URL to open in the browser.</summary>
    public static async Task<IResult> Connect(string provider, HttpContext http, AccountingConnections connections, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (caller, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        if (!AccountingConnections.IsProvider(provider)) return UnknownProvider();
        try
        {
            var url = await connections.StartAsync(provider, caller.Id, cancellationToken);
            await guard.RecordAsync(caller, AccessAction.AccountingSetup, AccessTarget.None, new Dictionary<string, object?> { ["connect"] = provider }, cancellationToken);
            return TypedResults.Ok(new { authorizeUrl = url });
        }
        catch (AccountingConnectionException ex)
        {
            return Problems.Problem(409, Problems.Conflict, "Not configured", ex.Message);
        }
    }

    public static async Task<IResult> Callback(string provider, string? code, string? state, string? realmId, string? error, AccountingConnections connections, CancellationToken cancellationToken)
    {
        if (!AccountingConnections.IsProvider(provider)) return UnknownProvider();
        if (error is not null) return Problems.Problem(400, Problems.Validation, "Consent refused", $"{AccountingConnections.Name(provider)} answered '{error}'. Nothing was connected.");
        if (string.IsNullOrEmpty(code) || string.IsNullOrEmpty(state) || state.Length > 100 || code.Length > 2000)
        {
            return Problems.ValidationFailed(new Dictionary<string, string[]> { ["code"] = ["The vendor's redirect must carry code and state."] });
        }
        try
        {
            await connections.CompleteAsync(provider, code, state, realmId, cancellationToken);
        }
        catch (AccountingConnectionException ex)
        {
            return Problems.Problem(400, Problems.Validation, "Connection failed", ex.Message);
        }
        return TypedResults.Content($"<!doctype html><meta charset=utf-8><title>Connected</title><p>{AccountingConnections.Name(provider)} is connected. You can close this window.</p>", "text/html; charset=utf-8");
    }

    public static async Task<IResult> Disconnect(string provider, HttpContext http, AccountingConnections connections, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (caller, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        if (!AccountingConnections.IsProvider(provider)) return UnknownProvider();
        await connections.DisconnectAsync(provider, cancellationToken);
        await guard.RecordAsync(caller, AccessAction.AccountingSetup, AccessTarget.None, new Dictionary<string, object?> { ["disconnect"] = provider }, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> GetMapping(string system, HttpContext http, ExportMappings mappings, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (_, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        if (!AccountingConnections.IsProvider(system)) return UnknownProvider();
        return TypedResults.Ok(ExportMappingDocument.From(await mappings.GetAsync(system, cancellationToken)));
    }

    /// <summary>Replaces a mapping, validated against the company directory first (every bad entry listed; nothing saved).</summary>
    public static async Task<IResult> PutMapping(string system, HttpContext http, ExportMappings mappings, CompanyProvider companies, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (caller, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        if (!AccountingConnections.IsProvider(system)) return UnknownProvider();
        ExportMappingDocument? doc;
        try
        {
            doc = await http.Request.ReadFromJsonAsync<ExportMappingDocument>(ExportStore.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "The body must be a mapping object (categories, trackingCategory, departments, employees, paymentTermsDays).");
        }
        if (doc is null) return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "The body must be a mapping object.");
        var mapping = doc.ToMapping(system);
        var errors = mapping.Validate(await companies.GetAsync(cancellationToken));
        if (errors.Count > 0) return Problems.ValidationFailed(errors, "Fix the entries listed in 'errors'; the mapping was not saved.");
        await mappings.SaveAsync(mapping, cancellationToken);
        await guard.RecordAsync(caller, AccessAction.AccountingSetup, AccessTarget.None, new Dictionary<string, object?> { ["mapping"] = system }, cancellationToken);
        return TypedResults.Ok(ExportMappingDocument.From(mapping));
    }

    public static async Task<IResult> ListRates(HttpContext http, ExportStore store, CompanyProvider companies, AccessGuard guard, IOptions<IdentityOptions> identity, string? currency, CancellationToken cancellationToken)
    {
        var (_, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        var company = await companies.GetAsync(cancellationToken);
        var currencies = currency is null ? Reimburse.Core.Currencies.Supported.Where(c => c != company.BaseCurrency) : [currency.ToUpperInvariant()];
        var rates = await store.GetRatesAsync(currencies, company.BaseCurrency, cancellationToken);
        return TypedResults.Ok(new { baseCurrency = company.BaseCurrency, items = rates.OrderBy(r => r.Currency, StringComparer.Ordinal).ThenByDescending(r => r.Date) });
    }

    /// <summary>Adds or replaces rates: JSON <c>{"rates":[{currency,date,rate,source}]}</c> or a CSV upload
    /// (<c>text/csv</c>: currency,date,rate[,source]). All rates are checked first; one bad line stores nothing.</summary>
    public static async Task<IResult> PostRates(HttpContext http, ExportStore store, CompanyProvider companies, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var (caller, problem) = await AuthorizeAsync(http, guard, identity, cancellationToken);
        if (problem is not null) return problem;
        var company = await companies.GetAsync(cancellationToken);
        IReadOnlyList<FxRate> rates;
        var errors = new List<string>();
        if (http.Request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var reader = new StreamReader(http.Request.Body);
            var text = await reader.ReadToEndAsync(cancellationToken);
            if (text.Length > 1_000_000) return Problems.Problem(413, Problems.TooLarge, "Too large", "At most 1 MB of rates at a time.");
            (rates, var e) = FxRates.ParseCsv(text, company.BaseCurrency, "upload by " + caller.Id);
            errors.AddRange(e);
        }
        else
        {
            RatesBody? body;
            try
            {
                body = await http.Request.ReadFromJsonAsync<RatesBody>(ExportStore.Json, cancellationToken);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
            {
                return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "Send {\"rates\":[{\"currency\",\"date\",\"rate\",\"source\"}]} or text/csv.");
            }
            var list = new List<FxRate>();
            foreach (var (r, i) in (body?.Rates ?? []).Select((r, i) => (r, i)))
            {
                var (rate, error) = FxRates.Parse(r.Currency, r.Date, r.Rate, string.IsNullOrWhiteSpace(r.Source) ? "entered by " + caller.Id : r.Source.Trim(), company.BaseCurrency);
                if (rate is not null) list.Add(rate);
                else errors.Add($"rates[{i}]: {error}");
            }
            rates = list;
        }
        if (errors.Count > 0) return Problems.ValidationFailed(new Dictionary<string, string[]> { ["rates"] = [.. errors] }, "No rate was stored.");
        if (rates.Count == 0) return Problems.ValidationFailed(new Dictionary<string, string[]> { ["rates"] = ["Send at least one rate."] });
        foreach (var group in rates.GroupBy(r => r.Currency))
        {
            foreach (var chunk in group.DistinctBy(r => r.Date).Chunk(100))
            {
                await store.Rates.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ExportStore.RateEntity(r, caller.Id))), cancellationToken);
            }
        }
        await guard.RecordAsync(caller, AccessAction.AccountingSetup, AccessTarget.None, new Dictionary<string, object?> { ["fxRates"] = rates.Count }, cancellationToken);
        return TypedResults.Ok(new { stored = rates.Count });
    }

    public sealed record RatesBody(IReadOnlyList<FxRateInput>? Rates);

    /// <summary>Finance overrides one claim's rate, with a reason: kept with the claim (exportmarks row <c>fx</c>) and
    /// appended to the claim's audit chain.</summary>
    public static async Task<IResult> OverrideRate(string id, HttpContext http, ClaimStore claims, ExportStore store, CompanyProvider companies, AccessGuard guard, IOptions<IdentityOptions> identity, TimeProvider clock, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var stored = await claims.GetAsync(id, cancellationToken);
        if (stored is null || !(await guard.CheckAsync(caller, AccessAction.ExportManage, AccessTarget.For(stored.Claim), cancellationToken)).Allowed)
        {
            return Problems.NotFoundResult("claim");
        }
        FxOverrideInput? input;
        try
        {
            input = await http.Request.ReadFromJsonAsync<FxOverrideInput>(ExportStore.Json, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "Send {\"rate\":\"1.0850\",\"reason\":\"…\"}.");
        }
        var company = await companies.GetAsync(cancellationToken);
        var currency = stored.Claim.Fields.Currency ?? company.BaseCurrency;
        var errors = new Dictionary<string, string[]>();
        var today = CompanyProvider.LocalToday(company, clock.GetUtcNow());
        var (rate, error) = FxRates.Parse(currency, today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), input?.Rate, "override by " + caller.Id, company.BaseCurrency);
        if (rate is null) errors["rate"] = [error!];
        if (string.IsNullOrWhiteSpace(input?.Reason) || input.Reason.Length > 500) errors["reason"] = ["A reason is required (at most 500 characters); it goes into the audit log."];
        if (errors.Count > 0) return Problems.ValidationFailed(errors);
        rate = rate! with { OverrideReason = input!.Reason!.Trim() };
        var row = ExportStore.RateEntity(rate, caller.Id);
        var entity = new TableEntity(id, ExportStore.FxOverrideRow);
        foreach (var (k, v) in row) if (k is not ("PartitionKey" or "RowKey" or "odata.etag" or "Timestamp")) entity[k] = v;
        entity["Currency"] = rate.Currency;
        entity["Date"] = rate.Date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await store.Marks.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        await claims.ChangeAsync(id, current => (new ClaimChange(current.Claim, new AuditDraft("claim.fx-overridden", caller.Id, caller.PrimaryRole, caller.SourceIp,
            JsonSerializer.Serialize(new { currency = rate.Currency, baseCurrency = rate.BaseCurrency, rate = rate.RateText, reason = rate.OverrideReason }, ExportStore.Json))), null), cancellationToken);
        return TypedResults.Ok(rate);
    }
}
