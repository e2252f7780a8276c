using System.Globalization;

namespace Reimburse.Web.Services;

/// <summary>Amounts as HK$ with two decimals, dates and times in Hong Kong time (UTC+8 all year: no daylight saving).</summary>
public static class Format
{
    public static readonly TimeSpan HongKong = TimeSpan.FromHours(8);

    public static string Money(decimal? amount, string? currency)
    {
        if (amount is null) return "–";
        var n = amount.Value.ToString("#,##0.00", CultureInfo.InvariantCulture);
        return currency is null or "HKD" ? "HK$" + n : currency + " " + n;
    }

    public static string Time(DateTimeOffset? at) =>
        at is null ? "–" : at.Value.ToOffset(HongKong).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string Percent(double value) => (value * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Today's date in Hong Kong, for the date field's default and maximum.</summary>
    public static DateOnly HongKongToday(DateTimeOffset now) => DateOnly.FromDateTime(now.ToOffset(HongKong).DateTime);
}

/// <summary>The demo company's expense categories with both names (the API validates; this is what the form offers).</summary>
public static class Categories
{
    public static readonly IReadOnlyList<(string Id, string En, string Zh)> All =
    [
        ("meals", "Meals", "膳食"),
        ("transport", "Taxi / transport", "交通"),
        ("travel", "Travel", "差旅"),
        ("office-supplies", "Office supplies", "辦公用品"),
        ("client-entertainment", "Client entertainment", "客戶應酬"),
        ("training", "Training", "培訓"),
    ];

    public static string Name(string? id, bool chinese) =>
        All.FirstOrDefault(c => c.Id == id) is { Id: not null } c ? (chinese ? c.Zh : c.En) : id ?? "–";
}
