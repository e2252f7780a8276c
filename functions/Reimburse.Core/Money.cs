using System.Globalization;

namespace Reimburse.Core;

/// <summary>An amount of money in an ISO 4217 currency. Never a double.</summary>
public readonly record struct Money(decimal Amount, string Currency)
{
    public const string HongKongDollar = "HKD";

    public static Money Hkd(decimal amount) => new(amount, HongKongDollar);

    /// <summary>Invariant "1234.50 HKD".</summary>
    public override string ToString() => Amount.ToString("0.00##", CultureInfo.InvariantCulture) + " " + Currency;

    /// <summary>Minor-unit scale of the currency (JPY 0, most others 2).</summary>
    public static int Scale(string currency) => currency switch
    {
        "JPY" or "KRW" or "VND" or "TWD" => 0,
        _ => 2,
    };
}

/// <summary>ISO 4217 codes the product accepts.</summary>
public static class Currencies
{
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "HKD", "MOP", "CNY", "USD", "EUR", "GBP", "JPY", "SGD", "MYR", "TWD", "AUD", "CAD", "KRW", "THB", "CHF", "NZD", "PHP", "VND", "IDR", "INR",
    };

    public static bool IsSupported(string code) => Supported.Contains(code);
}
