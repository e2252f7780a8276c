using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Reimburse.Testing.Receipts;

/// <summary>The kinds of receipt the generator draws.</summary>
public enum SyntheticReceiptKind
{
    ChineseRestaurant,
    BilingualSupermarket,
    Taxi,
    PdfWithText,
    ScannedPdf,
}

/// <summary>What a generated receipt says (the ground truth). Currency is ISO 4217; payment uses the extractor's names.</summary>
public sealed record ReceiptTruth(
    string Merchant, DateOnly Date, TimeOnly? Time, decimal Total, decimal? Subtotal, decimal? Tax, decimal? ServiceCharge,
    string Currency, string? ReceiptNumber, string? PaymentMethod);

/// <summary>A generated receipt file and its truth.</summary>
public sealed record SyntheticReceipt(SyntheticReceiptKind Kind, byte[] Content, string MediaType, string FileName, ReceiptTruth Truth);

/// <summary>
/// Renders realistic Hong Kong receipts with ImageMagick and the Noto CJK fonts (slight rotation, noise, a thermal-paper
/// tint), seeded so each seed always gives the same receipt.
/// </summary>
public static class SyntheticReceipts
{
    private static readonly string[] ZhNames = ["翠華", "金鳳", "新記", "華星", "海港", "利苑", "稻香", "榮記", "興記", "福臨", "瑞華", "龍門"];
    private static readonly string[] ZhKinds = ["茶餐廳", "酒家", "酒樓", "餐廳", "冰室"];
    private static readonly string[] Dishes = ["叉燒飯", "乾炒牛河", "凍檸茶", "菠蘿油", "星洲炒米", "雲吞麵", "奶茶", "揚州炒飯", "燒鵝瀨", "西多士", "豉油雞", "咖喱牛腩"];
    private static readonly (string Zh, string En)[] Marts = [("惠民超市", "WELLMART"), ("豐收超級市場", "HARVEST MART"), ("百福超市", "BAIFU MARKET"), ("新港超市", "NEWPORT MART"), ("萬家超市", "WANJIA MART")];
    private static readonly (string Zh, string En)[] Groceries = [("牛奶", "MILK"), ("麵包", "BREAD"), ("雞蛋", "EGGS"), ("白米", "RICE"), ("蘋果", "APPLE"), ("豆腐", "TOFU"), ("橙汁", "JUICE"), ("餅乾", "BISCUIT")];
    private static readonly (string Zh, string En)[] Taxis = [("安達", "ONDA"), ("城市", "CITY"), ("快捷", "SWIFT"), ("港島", "ISLAND"), ("九龍", "KOWLOON")];
    private static readonly string[] EnMerchants = ["HARBOUR BOOKS LIMITED", "PEAK GRILL LIMITED", "VICTORIA OFFICE SUPPLIES LTD", "STAR FERRY CATERING LIMITED", "KOWLOON PRINTING CO LTD"];
    private static readonly string[] Streets = ["彌敦道", "軒尼詩道", "皇后大道中", "英皇道", "德輔道中"];

    public static async Task<SyntheticReceipt> GenerateAsync(SyntheticReceiptKind kind, int seed, CancellationToken cancellationToken = default)
    {
        var rng = new Random(seed * 31 + (int)kind);
        var date = new DateOnly(2023, 1, 1).AddDays(rng.Next(0, 900));
        var time = new TimeOnly(rng.Next(8, 23), rng.Next(0, 60));
        return kind switch
        {
            SyntheticReceiptKind.ChineseRestaurant => await ChineseRestaurantAsync(rng, seed, date, time, cancellationToken).ConfigureAwait(false),
            SyntheticReceiptKind.BilingualSupermarket => await SupermarketAsync(rng, seed, date, time, cancellationToken).ConfigureAwait(false),
            SyntheticReceiptKind.Taxi => await TaxiAsync(rng, seed, date, time, cancellationToken).ConfigureAwait(false),
            SyntheticReceiptKind.PdfWithText => PdfWithText(rng, date, time),
            SyntheticReceiptKind.ScannedPdf => await ScannedPdfAsync(rng, seed, date, time, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }

    private static string Money(decimal d) => d.ToString("0.00", CultureInfo.InvariantCulture);

    private static string ZhDate(Random rng, DateOnly d, TimeOnly t) => rng.Next(3) switch
    {
        0 => $"日期: {d.Year}年{d.Month}月{d.Day}日 {t:HH:mm}",
        1 => $"日期: {d:dd/MM/yyyy} {t:HH:mm}",
        _ => $"日期: {d:yyyy-MM-dd} {t:HH:mm}",
    };

    private static string EnDate(Random rng, DateOnly d, TimeOnly t) => rng.Next(3) switch
    {
        0 => string.Create(CultureInfo.InvariantCulture, $"DATE: {d:dd-MMM-yyyy} {t:HH:mm}").ToUpperInvariant(),
        1 => $"DATE: {d:dd/MM/yyyy} {t:HH:mm}",
        _ => $"DATE: {d:yyyy-MM-dd} {t:HH:mm}",
    };

    /// <summary>A label and an amount padded so the amount sits right-aligned (CJK characters are two columns wide).</summary>
    private static string Row(string label, string amount, int width = 30)
    {
        var used = label.Sum(c => c > 0x2E80 ? 2 : 1) + amount.Length;
        return label + new string(' ', Math.Max(2, width - used)) + amount;
    }

    private static async Task<SyntheticReceipt> ChineseRestaurantAsync(Random rng, int seed, DateOnly date, TimeOnly time, CancellationToken ct)
    {
        var merchant = ZhNames[rng.Next(ZhNames.Length)] + ZhKinds[rng.Next(ZhKinds.Length)];
        var lines = new List<string> { merchant, $"九龍{Streets[rng.Next(Streets.Length)]}{rng.Next(1, 400)}號地下", $"電話: 2{rng.Next(1000000, 9999999)}" };
        var number = rng.Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
        lines.Add($"單號: {number}  枱號: {rng.Next(1, 40)}");
        lines.Add(ZhDate(rng, date, time));
        lines.Add("--------------------------------");
        var subtotal = 0m;
        foreach (var dish in Dishes.OrderBy(_ => rng.Next()).Take(rng.Next(2, 5)))
        {
            var price = rng.Next(28, 120);
            subtotal += price;
            lines.Add(Row($"{dish} x1", "$" + Money(price)));
        }
        var service = Math.Round(subtotal * 0.10m, 1, MidpointRounding.AwayFromZero);
        var total = subtotal + service;
        lines.Add("--------------------------------");
        lines.Add(Row("小計", "$" + Money(subtotal)));
        lines.Add(Row("服務費 10%", "$" + Money(service)));
        lines.Add(Row(rng.Next(2) == 0 ? "總數" : "合計", "$" + Money(total)));
        string payment;
        if (rng.Next(2) == 0)
        {
            var cash = Math.Ceiling(total / 100) * 100 + (rng.Next(2) == 0 ? 100 : 0);
            lines.Add(Row("現金", "$" + Money(cash)));
            lines.Add(Row(rng.Next(2) == 0 ? "找續" : "找贖", "$" + Money(cash - total)));
            payment = "Cash";
        }
        else
        {
            lines.Add(Row("八達通", "$" + Money(total)));
            payment = "Octopus";
        }
        lines.Add("多謝光臨");
        var truth = new ReceiptTruth(merchant, date, time, total, subtotal, null, service, "HKD", number, payment);
        var jpeg = await RenderAsync(lines, seed, rng, ct).ConfigureAwait(false);
        return new SyntheticReceipt(SyntheticReceiptKind.ChineseRestaurant, jpeg, "image/jpeg", $"restaurant-{seed}.jpg", truth);
    }

    private static async Task<SyntheticReceipt> SupermarketAsync(Random rng, int seed, DateOnly date, TimeOnly time, CancellationToken ct)
    {
        var (zh, en) = Marts[rng.Next(Marts.Length)];
        var merchant = $"{zh} {en}";
        var number = $"R{rng.Next(10000000, 99999999)}";
        var lines = new List<string> { merchant, $"香港{Streets[rng.Next(Streets.Length)]}{rng.Next(1, 300)}號", $"收據編號 RECEIPT NO: {number}", EnDate(rng, date, time), "--------------------------------" };
        var subtotal = 0m;
        foreach (var (gz, ge) in Groceries.OrderBy(_ => rng.Next()).Take(rng.Next(3, 6)))
        {
            var price = rng.Next(500, 6000) / 100m;
            subtotal += price;
            lines.Add(Row($"{gz} {ge}", Money(price)));
        }
        lines.Add("--------------------------------");
        lines.Add(Row("小計 SUBTOTAL", Money(subtotal)));
        lines.Add(Row("合計 TOTAL HK$", Money(subtotal)));
        var methods = new (string Label, string Name)[] { ("八達通 OCTOPUS", "Octopus"), ("VISA", "Visa"), ("現金 CASH", "Cash"), ("支付寶 ALIPAY", "Alipay") };
        var (label, name) = methods[rng.Next(methods.Length)];
        if (name == "Cash")
        {
            var cash = Math.Ceiling(subtotal / 50) * 50;
            lines.Add(Row(label, Money(cash)));
            lines.Add(Row("找續 CHANGE", Money(cash - subtotal)));
        }
        else
        {
            lines.Add(Row(label, Money(subtotal)));
        }
        lines.Add("多謝惠顧 THANK YOU");
        var truth = new ReceiptTruth(merchant, date, time, subtotal, subtotal, null, null, "HKD", number, name);
        var jpeg = await RenderAsync(lines, seed, rng, ct).ConfigureAwait(false);
        return new SyntheticReceipt(SyntheticReceiptKind.BilingualSupermarket, jpeg, "image/jpeg", $"supermarket-{seed}.jpg", truth);
    }

    private static async Task<SyntheticReceipt> TaxiAsync(Random rng, int seed, DateOnly date, TimeOnly time, CancellationToken ct)
    {
        var (zh, en) = Taxis[rng.Next(Taxis.Length)];
        var merchant = $"{zh}的士 {en} TAXI";
        var fare = rng.Next(2900, 25000) / 10m;
        var surcharge = rng.Next(0, 3) * 5m;
        var total = fare + surcharge;
        var number = rng.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            merchant, "的士收據 TAXI RECEIPT", $"車牌 LICENCE: {(char)('A' + rng.Next(26))}{(char)('A' + rng.Next(26))}{rng.Next(100, 9999)}",
            $"單號 RECEIPT NO: {number}", EnDate(rng, date, time), "--------------------------------",
            Row("車費 FARE", "HK$" + Money(fare)), Row("附加費 SURCHARGE", "HK$" + Money(surcharge)),
            Row("總數 TOTAL", "HK$" + Money(total)), "現金 CASH", "多謝乘搭 THANK YOU",
        };
        var truth = new ReceiptTruth(merchant, date, time, total, null, null, null, "HKD", number, "Cash");
        var jpeg = await RenderAsync(lines, seed, rng, ct).ConfigureAwait(false);
        return new SyntheticReceipt(SyntheticReceiptKind.Taxi, jpeg, "image/jpeg", $"taxi-{seed}.jpg", truth);
    }

    private static SyntheticReceipt PdfWithText(Random rng, DateOnly date, TimeOnly time)
    {
        var merchant = EnMerchants[rng.Next(EnMerchants.Length)];
        var number = $"INV-{date.Year}-{rng.Next(10000, 99999)}";
        var rows = new List<IReadOnlyList<(double, string)>>
        {
            new[] { (50.0, merchant) },
            new[] { (50.0, $"{rng.Next(1, 200)} Queen's Road Central, Hong Kong") },
            new[] { (50.0, $"Invoice No: {number}") },
            new[] { (50.0, $"Date: {date.ToString(rng.Next(2) == 0 ? "yyyy-MM-dd" : "dd/MM/yyyy", CultureInfo.InvariantCulture)} {time:HH:mm}") },
        };
        var subtotal = 0m;
        for (var i = 0; i < rng.Next(2, 5); i++)
        {
            var price = rng.Next(2000, 90000) / 100m;
            subtotal += price;
            rows.Add(new[] { (50.0, $"Item {i + 1} ref {rng.Next(100, 999)}"), (300.0, "HK$ " + Money(price)) });
        }
        var service = merchant.Contains("GRILL", StringComparison.Ordinal) || merchant.Contains("CATERING", StringComparison.Ordinal)
            ? Math.Round(subtotal * 0.1m, 2) : (decimal?)null;
        var total = subtotal + (service ?? 0);
        rows.Add(new[] { (50.0, "Subtotal"), (300.0, "HK$ " + Money(subtotal)) });
        if (service is { } s) rows.Add(new[] { (50.0, "Service Charge 10%"), (300.0, "HK$ " + Money(s)) });
        rows.Add(new[] { (50.0, "Total"), (300.0, "HK$ " + Money(total)) });
        rows.Add(new[] { (50.0, "Paid by VISA ending " + rng.Next(1000, 9999).ToString(CultureInfo.InvariantCulture)) });
        var truth = new ReceiptTruth(merchant, date, time, total, subtotal, null, service, "HKD", number, "Visa");
        return new SyntheticReceipt(SyntheticReceiptKind.PdfWithText, MinimalPdf.TextPage(rows), "application/pdf", $"e-receipt-{number}.pdf", truth);
    }

    private static async Task<SyntheticReceipt> ScannedPdfAsync(Random rng, int seed, DateOnly date, TimeOnly time, CancellationToken ct)
    {
        var merchant = EnMerchants[rng.Next(EnMerchants.Length)];
        var number = rng.Next(10000, 99999).ToString(CultureInfo.InvariantCulture);
        var lines = new List<string> { merchant, $"{rng.Next(1, 200)} DES VOEUX ROAD CENTRAL", $"BILL NO: {number}", EnDate(rng, date, time), "--------------------------------" };
        var subtotal = 0m;
        for (var i = 0; i < rng.Next(2, 5); i++)
        {
            var price = rng.Next(3000, 30000) / 100m;
            subtotal += price;
            lines.Add(Row($"ITEM {(char)('A' + i)}{rng.Next(10, 99)}", Money(price)));
        }
        var service = Math.Round(subtotal * 0.1m, 2);
        var total = subtotal + service;
        lines.Add(Row("SUBTOTAL", Money(subtotal)));
        lines.Add(Row("SERVICE CHARGE 10%", Money(service)));
        lines.Add(Row("TOTAL HK$", Money(total)));
        lines.Add(Row("MASTERCARD", Money(total)));
        lines.Add("THANK YOU");
        var jpeg = await RenderAsync(lines, seed, rng, ct).ConfigureAwait(false);
        var (w, h) = JpegSize(jpeg);
        var pdf = MinimalPdf.ImagePage(jpeg, w, h, 1);
        var truth = new ReceiptTruth(merchant, date, time, total, subtotal, null, service, "HKD", number, "Mastercard");
        return new SyntheticReceipt(SyntheticReceiptKind.ScannedPdf, pdf, "application/pdf", $"scan-{seed}.pdf", truth);
    }

    /// <summary>Renders lines in Noto Sans Mono CJK TC on tinted paper with slight rotation, blur and noise.</summary>
    public static async Task<byte[]> RenderAsync(IReadOnlyList<string> lines, int seed, Random rng, CancellationToken cancellationToken = default)
    {
        var angle = (rng.NextDouble() * 2 - 1) * 1.2;
        var noise = 0.2 + rng.NextDouble() * 0.3;
        var size = 30 + rng.Next(0, 5);
        // ImageMagick 6's label coder refuses some long multi-line CJK texts at some point sizes ("width or height
        // exceeds limit"); a slightly smaller size renders.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RenderOnceAsync(lines, seed, angle, noise, size, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (attempt < 4)
            {
                size -= 1;
            }
        }
    }

    private static async Task<byte[]> RenderOnceAsync(IReadOnlyList<string> lines, int seed, double angle, double noise, int size, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("reimburse-synth-");
        try
        {
            var output = Path.Combine(dir.FullName, "receipt.jpg");
            var psi = new ProcessStartInfo("convert") { RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "-seed", seed.ToString(CultureInfo.InvariantCulture),
                "-background", "#f4f1e8", "-fill", "#2a2a2a", "-font", FontName(), "-pointsize", size.ToString(CultureInfo.InvariantCulture),
                "-interline-spacing", "6", "label:" + string.Join('\n', lines).Replace("%", "%%", StringComparison.Ordinal),
                "-bordercolor", "#f4f1e8", "-border", "40",
                "-background", "#f4f1e8", "-rotate", angle.ToString("0.00", CultureInfo.InvariantCulture),
                "-colorspace", "Gray", "-blur", "0x0.5",
                "-attenuate", noise.ToString("0.00", CultureInfo.InvariantCulture), "+noise", "Gaussian",
                "-quality", "88", output,
            }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("convert did not start");
            var err = await p.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (p.ExitCode != 0 || !File.Exists(output)) throw new InvalidOperationException($"convert failed: {err}");
            return await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The ImageMagick name of the monospaced Traditional Chinese Noto font (fonts-noto-cjk).</summary>
    public static string FontName() => "Noto-Sans-Mono-CJK-TC";

    /// <summary>Width and height from a JPEG's SOF marker.</summary>
    public static (int Width, int Height) JpegSize(byte[] jpeg)
    {
        var i = 2;
        while (i + 9 < jpeg.Length)
        {
            var marker = jpeg[i + 1];
            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return ((jpeg[i + 7] << 8) | jpeg[i + 8], (jpeg[i + 5] << 8) | jpeg[i + 6]);
            i += 2 + length;
        }
        throw new InvalidDataException("no SOF marker");
    }
}
