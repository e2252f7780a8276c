using System.Text.Json.Nodes;
using Reimburse.Core.Exports;
using Reimburse.Functions.Exports.Sync;

using Reimburse.Testing.Accounting;

namespace Reimburse.Tests.Exports;

/// <summary>The bodies we send conform to the vendors' published contracts, and the contract checks catch what does not.</summary>
public sealed class ContractTests
{
    private static Bill CnyBill() => ExportFilesTests.Bill(3, currency: "CNY", rate: 1.085m) with { VendorRef = "56" };

    [Fact]
    public void XeroInvoicesBody_ConformsToXerosOpenApi() =>
        Assert.Empty(XeroContract.Validate("/Invoices", "PUT", XeroApi.InvoicesBody(CnyBill()).ToJsonString()));

    [Fact]
    public void XeroContract_WrongEnumTypeAndReadOnly_Reported()
    {
        var body = XeroApi.InvoicesBody(CnyBill());
        var invoice = body["Invoices"]![0]!.AsObject();
        invoice["Type"] = "BILL";
        invoice["CurrencyCode"] = "XXX";
        invoice["LineItems"]![0]!["Quantity"] = "one";
        invoice["Total"] = 5;
        invoice["Colour"] = "red";

        var errors = XeroContract.Validate("/Invoices", "PUT", body.ToJsonString());

        Assert.Contains(errors, e => e.Contains("$.Invoices[0].Type", StringComparison.Ordinal) && e.Contains("enum", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("CurrencyCode", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Quantity: string", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Total: read-only", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Colour is not in the schema", StringComparison.Ordinal));
    }

    [Fact]
    public void XeroContract_InvoiceCreationDeclaresIdempotencyKey() =>
        Assert.Contains("Idempotency-Key", XeroContract.HeaderParameters("/Invoices", "PUT"));

    [Fact]
    public void QuickBooksBillBody_ConformsToIntuitsXsd() =>
        Assert.Empty(QuickBooksContract.Validate("Bill", QuickBooksApi.BillBody(CnyBill()).ToJsonString()));

    [Fact]
    public void QuickBooksAttachable_ConformsToIntuitsXsd() =>
        Assert.Empty(QuickBooksContract.Validate("Attachable", QuickBooksApi.AttachableBody("146", new ExportReceipt("r", "taxi.jpg", "image/jpeg", "abc"), "1-taxi.jpg").ToJsonString()));

    [Fact]
    public void QuickBooksContract_BadDetailTypeAmountAndUnknownMember_Reported()
    {
        var body = QuickBooksApi.BillBody(CnyBill());
        var line = body["Line"]![0]!.AsObject();
        line["DetailType"] = "ExpenseLine";
        line["Amount"] = "lots";
        body["Colour"] = "red";

        var errors = QuickBooksContract.Validate("Bill", body.ToJsonString());

        Assert.Contains(errors, e => e.Contains("DetailType", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Amount", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Colour", StringComparison.Ordinal));
    }
}
