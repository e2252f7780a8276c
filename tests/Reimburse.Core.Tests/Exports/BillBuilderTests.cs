using Reimburse.Core;
using Reimburse.Core.Exports;
using Reimburse.Core.Tests.Approvals;

namespace Reimburse.Core.Tests.Exports;

public sealed class BillBuilderTests
{
    private static readonly ExportMapping Xero = new(ExportTargets.Xero,
        new Dictionary<string, CategoryAccount> { ["meals"] = new("420", "NONE"), ["travel"] = new("493", "NONE") },
        "Department", new Dictionary<string, string> { ["sales"] = "Sales" }, new Dictionary<string, string>(), 14);

    internal static ExportClaim Claim(string category = "meals", decimal amount = 268.50m, string currency = "HKD", string id = "clm_0000000000000000000000000a") =>
        new(id, "emp-chan", "Chan Tai Man", "陳大文", "tm.chan@harbour.example", "sales", category, "Tsui Wah Restaurant", "Lunch with supplier",
            new DateOnly(2026, 11, 20), new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero), new Money(amount, currency), []);

    [Fact]
    public void Build_MappedHkdClaim_OneBillOneLineEmployeeAsContact()
    {
        var (bill, failure) = BillBuilder.Build(Claim(), Xero, FxRates.Resolve("HKD", "HKD", new DateOnly(2026, 11, 20), []), Harbour.People);

        Assert.Null(failure);
        Assert.Equal("Chan Tai Man (陳大文)", bill!.ContactName);
        var line = Assert.Single(bill.Lines);
        Assert.Equal(("420", "NONE", "Department", "Sales", 268.50m), (line.AccountCode, line.TaxType, line.TrackingName, line.TrackingOption, line.LineAmount));
        Assert.Equal(new DateOnly(2026, 11, 23), bill.Date);
        Assert.Equal(new DateOnly(2026, 12, 7), bill.DueDate);
        Assert.Equal(268.50m, bill.BaseTotal);
    }

    [Fact]
    public void Build_UnmappedCategory_FailsTheClaimWithAReason()
    {
        var (bill, failure) = BillBuilder.Build(Claim("training"), Xero, FxRate.Identity("HKD", new DateOnly(2026, 11, 20)), Harbour.People);

        Assert.Null(bill);
        Assert.Equal("unmapped-category", failure!.Code);
        Assert.Contains("training", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_CnyClaim_KeepsOriginalCurrencyAndRecordsTheRate()
    {
        FxRate[] table = [new("CNY", "HKD", 1.0712m, new DateOnly(2026, 11, 1), "HKMA"), new("CNY", "HKD", 1.0850m, new DateOnly(2026, 11, 19), "HKMA"), new("CNY", "HKD", 1.2m, new DateOnly(2026, 11, 21), "HKMA")];
        var fx = FxRates.Resolve("CNY", "HKD", new DateOnly(2026, 11, 20), table);

        var (bill, _) = BillBuilder.Build(Claim(amount: 500m, currency: "CNY"), Xero, fx, Harbour.People);

        Assert.Equal("CNY", bill!.Currency);
        Assert.Equal(500m, bill.Total);
        Assert.Equal(1.0850m, bill.Fx.Rate);
        Assert.Equal(542.50m, bill.BaseTotal);
        Assert.Contains("CNY→HKD 1.085 (HKMA 2026-11-19)", bill.Reference, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ForeignCurrencyWithoutRecentRate_FailsWithNoExchangeRate()
    {
        FxRate[] stale = [new("USD", "HKD", 7.8m, new DateOnly(2026, 9, 1), "HKMA")];
        var fx = FxRates.Resolve("USD", "HKD", new DateOnly(2026, 11, 20), stale);

        var (_, failure) = BillBuilder.Build(Claim(currency: "USD"), Xero, fx, Harbour.People);

        Assert.Null(fx);
        Assert.Equal("no-exchange-rate", failure!.Code);
    }

    [Fact]
    public void Resolve_Override_WinsOverTheTable()
    {
        var overridden = new FxRate("MOP", "HKD", 0.97m, new DateOnly(2026, 11, 25), "override by fin-lam", "bank statement rate");

        Assert.Same(overridden, FxRates.Resolve("MOP", "HKD", new DateOnly(2026, 11, 20), [new("MOP", "HKD", 0.9709m, new DateOnly(2026, 11, 20), "HKMA")], overridden));
    }

    [Fact]
    public void ParseCsv_ListsEveryBadLine()
    {
        var (rates, errors) = FxRates.ParseCsv("currency,date,rate,source\nCNY,2026-11-19,1.085,HKMA\nXYZ,2026-11-19,1\nUSD,19/11/2026,7.8\nEUR,2026-11-19,-1\nHKD,2026-11-19,1\n", "HKD", "upload");

        Assert.Single(rates);
        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void Validate_MappingWithUnknownNames_ListsEachAtOnce()
    {
        var bad = new ExportMapping(ExportTargets.Xero, new Dictionary<string, CategoryAccount> { ["caviar"] = new("", "NONE") }, null,
            new Dictionary<string, string> { ["marketing"] = "M" }, new Dictionary<string, string> { ["nobody"] = "X" }, 400);

        var errors = bad.Validate(Harbour.People);

        Assert.Equal(["categories.caviar", "departments.marketing", "employees.nobody", "paymentTermsDays", "trackingCategory"], errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ShortNumber_FitsQuickBooksDocNumber() =>
        Assert.Equal(21, BillBuilder.ShortNumber("clm_01jd8x2v9q7w3k5m8n4p6r2t0a").Length);
}
