using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Reimburse.Core.Receipts;

/// <summary>Text primitives shared by the extractors: normalisation, amounts and dates as printed on receipts.</summary>
public static partial class ReceiptText
{
    /// <summary>NFKC (full-width digits, ＄ and ：become ASCII), upper-case, single spaces.</summary>
    public static string Normalise(string line)
    {
        var s = FoldSimplified(line.Normalize(NormalizationForm.FormKC)).ToUpperInvariant();
        s = Spaces().Replace(s, " ").Trim();
        // OCR often splits an amount at its decimal point ("73. 00", "295 .00").
        s = SplitDecimal().Replace(s, "$1.$2");
        // Recognisers drop the narrow space of a date-time stamp ("10/03/20185:41:06", "18/03/1809:03").
        // A zero for the O of a month between day and year ("31-0CT-2024", "5 N0V 2024").
        s = MonthWithZero().Replace(s, m => m.Value.Replace('0', 'O'));
        s = GluedDateTime().Replace(s, "$1 ");
        s = GluedNamedDateTime().Replace(s, "$1 ");
        // A doubled separator inside a date ("14--03-18").
        s = DoubledDateDash().Replace(s, "$1-$2");
        // Systematic OCR slips in the Malaysian company suffix (SON BHD, SDNBHD, SIN BHD, SAN BHD), also glued to
        // the name when the recogniser drops spaces ("TASTEOFTHEWORLDSDNBHD").
        s = GluedSdnBhd().Replace(s, "$1 SDN BHD");
        s = SdnBhd().Replace(s, "SDN BHD");
        // S/B with its slash misread (S7B, 5/B, S1B).
        s = SbSlip().Replace(s, "S/B");
        // "$/B" is how OCR reads the short form S/B (Sendirian Berhad).
        return DollarSb().Replace(s, "S/B");
    }

    // Simplified forms a recogniser trained mostly on Simplified Chinese emits for the Traditional characters Hong Kong
    // receipts print (單号, 服務费, 電话, 多谢): folded back so keywords and merchant names compare as printed.
    private const string SimplifiedForms = "号费话谢总计数现续赎应实额单据发币时间务银联达宝转鹅诗厅门东龙湾马鸡饭汤烧国广场园车贸区楼层铺价优惠劵折扣乐级岛辅凤鳯汇兴华记汉丽宁荣鲜鱼饼";
    private const string TraditionalForms = "號費話謝總計數現續贖應實額單據發幣時間務銀聯達寶轉鵝詩廳門東龍灣馬雞飯湯燒國廣場園車貿區樓層鋪價優惠券折扣樂級島輔鳳鳳匯興華記漢麗寧榮鮮魚餅";

    /// <summary>Maps the simplified forms above to their Traditional characters; everything else is left as it is.</summary>
    public static string FoldSimplified(string text)
    {
        if (!text.Any(c => c >= '\u4E00')) return text;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var k = SimplifiedForms.IndexOf(chars[i], StringComparison.Ordinal);
            if (k >= 0) chars[i] = TraditionalForms[k];
        }
        return new string(chars);
    }

    /// <summary>An amount found in a line, with where it starts (amounts are read right to left on receipts).</summary>
    public readonly record struct AmountToken(decimal Value, int Index, string? CurrencyMark);

    /// <summary>Amounts with two decimals (1,234.50 / 9.00 / 9,00 / RM9.00 / HK$ 12.30); dates and times never match.</summary>
    public static IReadOnlyList<AmountToken> Amounts(string normalised, bool loose = false)
    {
        var list = new List<AmountToken>();
        foreach (Match m in (loose ? LooseAmount() : StrictAmount()).Matches(normalised))
        {
            var num = m.Groups["num"].Value;
            if (DecimalComma().IsMatch(num)) num = num.Replace(',', '.');
            else num = num.Replace(",", "", StringComparison.Ordinal);
            if (!decimal.TryParse(num, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) continue;
            if (m.Groups["neg"].Success) value = -value;
            var cur = m.Groups["cur"].Success ? m.Groups["cur"].Value : null;
            list.Add(new AmountToken(value, m.Index, cur));
        }
        return list;
    }

    /// <summary>A date found in a line.</summary>
    public readonly record struct DateToken(DateOnly Value, int Index);

    /// <summary>
    /// Dates as receipts print them: 2024-03-05, 2024年3月5日, 05/03/2024, 05-03-24, 05-Mar-2024, 05 MAR 2018, Mar 5, 2024.
    /// Numeric d/m/y is day-first (Hong Kong, Malaysia) unless the middle number cannot be a month.
    /// </summary>
    public static IReadOnlyList<DateToken> Dates(string normalised)
    {
        var list = new List<DateToken>();
        // OCR reads a leading zero as the letter O ("O7/01/18"); only inside date-shaped tokens.
        normalised = OcrDate().Replace(normalised, m => m.Value.Replace('O', '0'));
        foreach (Match m in YearFirst().Matches(normalised))
            Add(list, m.Index, Int(m, "y"), Int(m, "m"), Int(m, "d"));
        foreach (Match m in DayFirst().Matches(normalised))
        {
            int a = Int(m, "a"), b = Int(m, "b"), y = Int(m, "y");
            if (b > 12 && a <= 12) Add(list, m.Index, y, a, b);
            else Add(list, m.Index, y, b, a);
        }
        foreach (Match m in DayMonthName().Matches(normalised))
            Add(list, m.Index, Int(m, "y"), Month(m.Groups["mon"].Value), Int(m, "d"));
        foreach (Match m in MonthNameDay().Matches(normalised))
            Add(list, m.Index, Int(m, "y"), Month(m.Groups["mon"].Value), Int(m, "d"));
        foreach (Match m in Compact().Matches(normalised))
            Add(list, m.Index, Int(m, "y"), Int(m, "m"), Int(m, "d"));
        list.Sort((x, y) => x.Index.CompareTo(y.Index));
        return list;
    }

    /// <summary>Parses a date string the way receipts print it (used to normalise keys in the benchmark too).</summary>
    public static DateOnly? ParseDate(string text) => Dates(Normalise(text)) is [var first, ..] ? first.Value : null;

    /// <summary>Parses a money amount, tolerating currency marks ("$8.20", "RM 9.00", "1,234.50", "120").</summary>
    public static decimal? ParseAmount(string text)
    {
        var n = Normalise(text);
        if (Amounts(n) is [.., var last]) return last.Value;
        if (Amounts(n, loose: true) is [.., var l]) return l.Value;
        return null;
    }

    private static void Add(List<DateToken> list, int index, int year, int month, int day)
    {
        if (year < 100) year += 2000;
        // Receipts are recent; a 2048 is an OCR slip, and the next date on the page is a better bet.
        if (year is < 1990 or > 2039 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return;
        if (list.Any(d => Math.Abs(d.Index - index) < 3)) return;
        list.Add(new DateToken(new DateOnly(year, month, day), index));
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static int Month(string name) => name[..3] switch
    {
        "JAN" => 1, "FEB" => 2, "MAR" => 3, "APR" => 4, "MAY" => 5, "JUN" => 6,
        "JUL" => 7, "AUG" => 8, "SEP" => 9, "OCT" => 10, "NOV" => 11, "DEC" => 12, _ => 0,
    };

    [GeneratedRegex(@"(?<![A-Z0-9])[O0-9]{1,2}[/.-][O0-9]{1,2}[/.-][O0-9]{2,4}(?![A-Z0-9])")]
    private static partial Regex OcrDate();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"(?<![\d/.-])(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{2})(?=[0-2]?\d:[0-5]\d)")]
    private static partial Regex GluedDateTime();

    [GeneratedRegex(@"(?<=\d[\s/-]?)(?:0CT|N0V)(?=[\s/-]?\d)")]
    private static partial Regex MonthWithZero();

    [GeneratedRegex(@"(?<![\d])(\d{1,2}[\s/-]?(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*[\s/-]?\d{4})(?=[0-2]?\d:[0-5]\d)")]
    private static partial Regex GluedNamedDateTime();

    [GeneratedRegex(@"(?<![\d/.-])(\d{1,2})-{2,}(\d{1,2}-\d{2,4})(?!\d)")]
    private static partial Regex DoubledDateDash();

    [GeneratedRegex(@"\b([A-Z]{3,})SDN\.?BHD\b")]
    private static partial Regex GluedSdnBhd();

    [GeneratedRegex(@"(?<![A-Z0-9/])(?:S[71I|]B|5/B)(?![A-Z0-9])")]
    private static partial Regex SbSlip();

    [GeneratedRegex(@"(\d)(?:\s\.|\.\s)(\d{2})(?!\d)")]
    private static partial Regex SplitDecimal();

    [GeneratedRegex(@"\bS[O0DBIA]N[.,]?\s?[B8][HN][DO0]\b|\bSDNBHD\b")]
    private static partial Regex SdnBhd();

    [GeneratedRegex(@"(?<![A-Z0-9])\$/B\b")]
    private static partial Regex DollarSb();

    [GeneratedRegex(@"^\d+,\d{2}$")]
    private static partial Regex DecimalComma();

    [GeneratedRegex(@"(?<![\d.,])(?<neg>-)?(?<cur>HK\$|US\$|S\$|MOP\$?|RMB|RM|\$|¥|€|£)?\s?(?<num>\d{1,3}(?:,\d{3})+\.\d{2}|\d+\.\d{2}|\d+,\d{2})(?![\d%])(?![.,:/-]\d)")]
    private static partial Regex StrictAmount();

    [GeneratedRegex(@"(?<![\d.,:/-])(?<neg>-)?(?<cur>HK\$|US\$|S\$|MOP\$?|RMB|RM|\$|¥|€|£)?\s?(?<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?![\d%])(?![.,:/-]\d)")]
    private static partial Regex LooseAmount();

    [GeneratedRegex(@"(?<!\d)(?<y>(?:19|20)\d{2})\s?(?:[-/.]|年)\s?(?<m>\d{1,2})\s?(?:[-/.]|月)\s?(?<d>\d{1,2})(?!\d)")]
    private static partial Regex YearFirst();

    [GeneratedRegex(@"(?<![\d.A-Z])(?<a>\d{1,2})\s?(?<sep>[-/.])\s?(?<b>\d{1,2})\s?\k<sep>\s?(?<y>\d{4}|\d{2})(?![\d])")]
    private static partial Regex DayFirst();

    [GeneratedRegex(@"(?<!\d)(?<d>\d{1,2})\s?[-/ ]?\s?(?<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s?[-/ ,]?\s?(?<y>\d{4}|\d{2})(?!\d)")]
    private static partial Regex DayMonthName();

    [GeneratedRegex(@"(?<![\dA-Z])(?<y>20\d{2})(?<m>0[1-9]|1[0-2])(?<d>0[1-9]|[12]\d|3[01])(?!\d)")]
    private static partial Regex Compact();

    [GeneratedRegex(@"(?<![A-Z])(?<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?\s(?<d>\d{1,2}),?\s(?<y>\d{4})(?!\d)")]
    private static partial Regex MonthNameDay();
}
