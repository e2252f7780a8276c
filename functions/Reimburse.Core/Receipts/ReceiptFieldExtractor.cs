using System.Text.RegularExpressions;

namespace Reimburse.Core.Receipts;

/// <summary>
/// Reads receipt fields from OCR lines, whatever engine produced them. English and Traditional Chinese keywords;
/// cash tendered and change are never taken as the total.
/// </summary>
public static partial class ReceiptFieldExtractor
{
    private sealed record Line(int Index, string Raw, string Text, double Confidence);

    /// <summary>Extracts every field it can find; fields it cannot find stay null.</summary>
    public static ReceiptFields Extract(OcrDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var lines = document.Lines
            .Select((l, i) => new Line(i, l.Text, FixKeywords(ReceiptText.Normalise(l.Text)), Math.Clamp(l.Confidence, 0, 1)))
            .Where(l => l.Text.Length > 0)
            .ToList();

        var subtotal = Keyed(lines, l => SubtotalKey().IsMatch(l.Text), 0.85);
        var tax = Keyed(lines, l => TaxKey().IsMatch(l.Text) && !TaxNotAmount().IsMatch(l.Text), 0.75);
        var service = Keyed(lines, l => ServiceKey().IsMatch(l.Text), 0.85);
        var (date, time) = FindDateTime(lines);
        var total = FindTotal(lines, subtotal?.Value, tax?.Value, service?.Value);
        service ??= ImpliedServiceCharge(lines, subtotal?.Value, tax?.Value, total?.Value);
        return new ReceiptFields
        {
            Merchant = FindMerchant(lines),
            Date = date,
            Time = time,
            Total = total,
            Subtotal = subtotal,
            Tax = tax,
            ServiceCharge = service,
            Currency = FindCurrency(lines),
            ReceiptNumber = FindReceiptNumber(lines),
            PaymentMethod = FindPaymentMethod(lines),
        };
    }

    /// <summary>
    /// OCR slips in the one keyword the total hangs on (T0TAL, TOTAI, TOTA1, FOTAL): any 4–6 character word one edit
    /// away from TOTAL is read as TOTAL. Numbers are never one edit from a five-letter word, so amounts are untouched.
    /// </summary>
    internal static string FixKeywords(string normalised) =>
        WordToken().Replace(normalised, m => m.Value != "TOTAL" && WithinOneEdit(m.Value, "TOTAL") ? "TOTAL" : m.Value);

    private static bool WithinOneEdit(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 1) return false;
        int i = 0, j = 0, edits = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { i++; j++; continue; }
            if (++edits > 1) return false;
            if (a.Length > b.Length) i++;
            else if (a.Length < b.Length) j++;
            else { i++; j++; }
        }
        return edits + (a.Length - i) + (b.Length - j) <= 1;
    }

    /// <summary>
    /// A garbled service-charge label ("ARISE 10% $25.40" for 服務費 10%): a line printing 10% whose amount is a tenth
    /// of the subtotal and makes subtotal + it (+ tax) the total is the service charge, whatever OCR did to the word.
    /// </summary>
    private static FieldValue<decimal>? ImpliedServiceCharge(List<Line> lines, decimal? subtotal, decimal? tax, decimal? total)
    {
        if (subtotal is not { } s || total is not { } t) return null;
        var tenth = Math.Round(s * 0.10m, 2, MidpointRounding.AwayFromZero);
        if (tenth <= 0 || s + tenth + (tax ?? 0) != t) return null;
        foreach (var l in lines)
        {
            if (!TenPercent().IsMatch(l.Text) || SubtotalKey().IsMatch(l.Text) || TotalPriority(l.Text) > 0) continue;
            if (ReceiptText.Amounts(l.Text) is [.., var last] && last.Value == tenth) return new FieldValue<decimal>(tenth, Scale(0.6, l));
        }
        return null;
    }

    private static double Scale(double baseConfidence, Line line) => Math.Round(baseConfidence * (0.6 + 0.4 * line.Confidence), 3);

    // ---- total ----

    private sealed record Candidate(decimal Amount, double Score, Line Line);

    private static FieldValue<decimal>? FindTotal(List<Line> lines, decimal? subtotal, decimal? tax, decimal? service)
    {
        var candidates = new List<Candidate>();
        var everyAmount = lines.SelectMany(l => ReceiptText.Amounts(l.Text)).Select(a => a.Value).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            var priority = TotalPriority(l.Text);
            if (priority == 0) continue;
            var amount = RightmostAmount(l.Text, loose: true);
            double score = priority;
            // "TOTAL: 26.00 1.56" is a GST summary row (net, tax): a paid total is never followed by a smaller amount.
            if (ReceiptText.Amounts(l.Text) is [.., var before, var last] && last.Value < before.Value) score -= 1;
            if (ReceiptText.Amounts(l.Text).Count == 0)
            {
                if (LostDecimal(l.Text, everyAmount) is { } fixedAmount) amount = fixedAmount;
                // A whole number on a page that prints cents everywhere else is usually OCR debris ("49, 40" read as 40).
                else if (everyAmount.Count > 0) score -= 1;
            }
            if (amount is null && i + 1 < lines.Count && TotalPriority(lines[i + 1].Text) == 0 && !IsTenderOrChange(lines[i + 1].Text))
                amount = RightmostAmount(lines[i + 1].Text, loose: false);
            if (amount is { } a && a > 0) candidates.Add(new Candidate(a, Math.Max(0.5, score), l));
        }

        var tendered = FirstAmount(lines, l => CashKey().IsMatch(l.Text) && !ChangeKey().IsMatch(l.Text));
        // On a page that prints cents, a change of "00" is a garbled amount, not zero: no tendered-minus-change then.
        var change = FirstAmount(lines, l => ChangeKey().IsMatch(l.Text), loose: everyAmount.Count == 0);
        decimal? implied = tendered is { } t && change is { } c && t - c > 0 ? t - c : null;
        decimal? composed = subtotal is { } s ? s + (tax ?? 0) + (service ?? 0) : null;

        if (candidates.Count == 0)
        {
            if (implied is { } im) return new FieldValue<decimal>(im, 0.6);
            var rest = lines.Where(l => !IsTenderOrChange(l.Text)).SelectMany(l => ReceiptText.Amounts(l.Text)).Select(a => a.Value).ToList();
            return rest.Count == 0 ? null : new FieldValue<decimal>(rest.Max(), 0.3);
        }

        // "Total (incl. GST) 23.26 / Rounding Adj -0.01 / TOTAL 23.25": the rounded amount, printed below the adjustment,
        // is what was paid. OCR often loses the adjustment's sign, so only its size and the order of the lines count.
        var rounding = lines.Where(l => RoundingKey().IsMatch(l.Text) && !StrongTotal().IsMatch(l.Text))
            .Select(l => (Line: l, Amount: ReceiptText.Amounts(l.Text) is [.., var a] ? Math.Abs(a.Value) : 0m))
            .FirstOrDefault(r => r.Amount is > 0 and < 0.10m);

        Candidate Rescore(Candidate c)
        {
            var score = c.Score;
            if (rounding.Line is { } rl && c.Line.Index > rl.Index &&
                candidates.Any(o => o.Line.Index < rl.Index && Math.Abs(o.Amount - c.Amount) == rounding.Amount)) score += 1.5;
            if (implied == c.Amount) score += 1.5;
            if (composed == c.Amount) score += 1.0;
            // Totals are printed more than once (total, tendered, rounded); OCR rarely garbles every copy the same way.
            if (everyAmount.Count(a => a == c.Amount) >= 2) score += 0.5;
            return c with { Score = score };
        }

        // Tendered minus change that also appears elsewhere on the page is the total, whatever OCR did to its label.
        // So is subtotal + tax + service charge when printed somewhere.
        foreach (var derived in new[] { implied, composed })
        {
            if (derived is not { } value || value <= 0 || candidates.Any(c => c.Amount == value)) continue;
            // "Elsewhere": the tendered line itself does not count (a garbled "CASH 111 /53.35" is no evidence).
            var line = lines.FirstOrDefault(l => !SubtotalKey().IsMatch(l.Text) && !IsTenderOrChange(l.Text) &&
                                                 ReceiptText.Amounts(l.Text).Any(a => a.Value == value));
            if (line is not null) candidates.Add(new Candidate(value, 1.5, line));
        }

        var best = candidates.Select(Rescore)
            .OrderByDescending(c => c.Score)
            .ThenByDescending(c => c.Amount)
            .First();
        var confidence = Math.Min(0.98, 0.5 + best.Score / 10);
        return new FieldValue<decimal>(best.Amount, Scale(confidence, best.Line));
    }

    /// <summary>0 = not a total line; higher = more specific wording.</summary>
    private static int TotalPriority(string text)
    {
        if (IsTenderOrChange(text) || NotTotal().IsMatch(text)) return 0;
        if (StrongTotal().IsMatch(text)) return 3;
        // "TOTAL GST 3.08" is the tax; "Total Sales (Inclusive of GST) 64.50" (however garbled) is the total.
        if (PlainTotal().IsMatch(text)) return TaxTotal().IsMatch(text) && !Inclusive().IsMatch(text) ? 0 : 2;
        if (WeakTotal().IsMatch(text)) return 1;
        return 0;
    }

    /// <summary>
    /// A total line whose amount lost its decimal point or had it read as a space ("GRAND TOTAL 1000", "Grand Total 92 80"):
    /// the space form is taken as cents; the run-together form only when the amount it stands for is printed elsewhere.
    /// </summary>
    internal static decimal? LostDecimal(string text, IReadOnlyCollection<decimal> pageAmounts)
    {
        var spaced = SpacedDecimal().Match(text);
        if (spaced.Success)
            return decimal.Parse(spaced.Groups["i"].Value + "." + spaced.Groups["c"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var joined = JoinedDecimal().Match(text);
        if (joined.Success)
        {
            var value = decimal.Parse(joined.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) / 100m;
            if (pageAmounts.Contains(value)) return value;
        }
        return null;
    }

    private static bool IsTenderOrChange(string text) => CashKey().IsMatch(text) || ChangeKey().IsMatch(text) || TenderKey().IsMatch(text);

    private static decimal? RightmostAmount(string text, bool loose)
    {
        var strict = ReceiptText.Amounts(text);
        if (strict.Count > 0) return strict[^1].Value;
        if (!loose) return null;
        // Chinese bills often print whole dollars ("總數 $120"); accept those only on keyword lines.
        var l = ReceiptText.Amounts(text, loose: true);
        return l.Count > 0 && l[^1].Value < 1_000_000 ? l[^1].Value : null;
    }

    private static decimal? FirstAmount(List<Line> lines, Func<Line, bool> match, bool loose = true)
    {
        foreach (var l in lines.Where(match))
            if (RightmostAmount(l.Text, loose) is { } a) return a;
        return null;
    }

    private static FieldValue<decimal>? Keyed(List<Line> lines, Func<Line, bool> match, double confidence)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var l = lines[i];
            if (!match(l)) continue;
            if (RightmostAmount(l.Text, loose: true) is { } a && a >= 0) return new FieldValue<decimal>(a, Scale(confidence, l));
        }
        return null;
    }

    // ---- date / time ----

    private static (FieldValue<DateOnly>?, FieldValue<TimeOnly>?) FindDateTime(List<Line> lines)
    {
        FieldValue<DateOnly>? date = null;
        Line? dateLine = null;
        // Labelled dates first, then a date printed with a time (the transaction stamp), then any date: item codes
        // such as "HC03-7 - 15" and validity dates come without either.
        foreach (var pass in new[] { 0, 1, 2 })
        {
            foreach (var l in lines)
            {
                var keyed = DateKey().IsMatch(l.Text);
                if ((pass == 0 && !keyed) || (pass == 1 && (keyed || !TimePattern().IsMatch(l.Text))) || ExpiryKey().IsMatch(l.Text)) continue;
                if (ReceiptText.Dates(l.Text) is [var d, ..])
                {
                    date = new FieldValue<DateOnly>(d.Value, Scale(pass switch { 0 => 0.95, 1 => 0.85, _ => 0.8 }, l));
                    dateLine = l;
                    break;
                }
            }
            if (date is not null) break;
        }

        FieldValue<TimeOnly>? time = null;
        var ordered = dateLine is null ? lines : lines.OrderBy(l => Math.Abs(l.Index - dateLine.Index)).ToList();
        foreach (var l in ordered)
        {
            var m = TimePattern().Match(l.Text);
            if (!m.Success) continue;
            var hour = int.Parse(m.Groups["h"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var minute = int.Parse(m.Groups["m"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var second = m.Groups["s"].Success ? int.Parse(m.Groups["s"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var pm = m.Groups["pm"].Success || m.Groups["zhpm"].Success;
            var am = m.Groups["am"].Success || m.Groups["zham"].Success;
            if (pm && hour < 12) hour += 12;
            if (am && hour == 12) hour = 0;
            if (hour > 23) continue;
            time = new FieldValue<TimeOnly>(new TimeOnly(hour, minute, second), Scale(dateLine == l ? 0.9 : 0.7, l));
            break;
        }
        return (date, time);
    }

    // ---- merchant ----

    private static FieldValue<string>? FindMerchant(List<Line> lines)
    {
        var top = lines.Take(Math.Max(6, Math.Min(12, lines.Count / 3 + 1))).Select(l => l with { Text = StripLowerDebris(l) }).ToList();
        // The document title (TAX INVOICE, RECEIPT) closes the merchant's block: a company named below it is a
        // customer or a sold-by line, so a business name above the title wins over a legal name below it.
        var title = top.FindIndex(l => l.Index > 0 && TitleWord().IsMatch(l.Text));
        var split = title > 0 ? title : top.Count;
        return LegalName(top, 0, split) ?? BusinessName(top, 0, Math.Min(8, split))
            ?? LegalName(top, split, top.Count) ?? BusinessName(top, split, Math.Min(8, top.Count))
            ?? FallbackName(top);
    }

    /// <summary>"ie TRI SHAAS SDN BHD": a short lower-case OCR fragment before an upper-case name is debris.</summary>
    private static string StripLowerDebris(Line l)
    {
        var raw = l.Raw.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (raw.Length < 2 || raw[0].Length > 3 || !raw[0].All(char.IsLower)) return l.Text;
        var rest = raw[1];
        if (rest.Count(char.IsUpper) < 4 || rest.Count(char.IsLower) > 0) return l.Text;
        var space = l.Text.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? l.Text[(space + 1)..] : l.Text;
    }

    private static FieldValue<string>? LegalName(List<Line> top, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var l = top[i];
            var legal = LegalSuffix().Match(l.Text);
            if (!legal.Success || HeaderWord().IsMatch(l.Text)) continue;
            var name = CleanName(l.Text[..(legal.Index + legal.Length)]);
            // A name broken over two lines: "AIK HUAT HARDWARE ENTERPRISE" / "(SETIA ALAM) SDN BHD".
            var before = name[..Math.Max(0, name.Length - legal.Value.Trim().Length)].Trim();
            var words = before.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            var unbalanced = before.Count(c => c == ')') > before.Count(c => c == '(');
            // "POPULAR BOOK" / "CO. (M) SDN BHD": nothing but abbreviations before the suffix is the tail of a name too.
            var substantive = before.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(w => w.Count(char.IsLetter) >= 3);
            var previousRaw = i > 0 ? top[i - 1].Raw : "";
            if (i > 0 && (before.StartsWith('(') || unbalanced || words < 2 || substantive == 0) && LooksLikeName(top[i - 1].Text)
                && (previousRaw.Count(char.IsUpper) >= previousRaw.Count(char.IsLower) || IsTitleCase(previousRaw))
                && !LegalSuffix().IsMatch(top[i - 1].Text))
                name = CleanName(top[i - 1].Text) + " " + name;
            if (name.Length >= 3) return new FieldValue<string>(name, Scale(0.9, l));
        }
        return null;
    }

    private static FieldValue<string>? BusinessName(List<Line> top, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var l = top[i];
            if (!BusinessWord().IsMatch(l.Text) || !LooksLikeName(l.Text)) continue;
            var name = CleanName(l.Text);
            // "HOME MASTER HARDWARE &" / "ELECTRICAL": a trailing conjunction continues on the next line.
            if ((TrailingAnd().IsMatch(name) || (i + 1 < top.Count && LeadingAnd().IsMatch(top[i + 1].Text))) && i + 1 < top.Count &&
                LooksLikeName(top[i + 1].Text))
                name = name + " " + CleanName(top[i + 1].Text);
            return new FieldValue<string>(name, Scale(0.75, l));
        }
        return null;
    }

    private static FieldValue<string>? FallbackName(List<Line> top)
    {
        // Lines tesseract read with almost no confidence are logo debris ("HOen&"), not a name.
        foreach (var l in top.Take(5).Where(l => l.Confidence >= 0.3))
        {
            if (LooksLikeName(l.Text) && (l.Raw.Any(IsCjk) || l.Raw.Count(char.IsUpper) >= l.Raw.Count(char.IsLower) || IsTitleCase(l.Raw)))
                return new FieldValue<string>(CleanName(l.Text), Scale(0.55, l));
        }
        return null;
    }

    /// <summary>"YHM Aeon Tebrau City": every word capitalised, as shop names are printed (debris rarely is).</summary>
    private static bool IsTitleCase(string raw)
    {
        var words = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Any(char.IsLetter)).ToList();
        return words.Count >= 2 && words.All(w => char.IsUpper(w.First(char.IsLetter)));
    }

    private static bool LooksLikeName(string text)
    {
        if (text.Length < 2 || HeaderWord().IsMatch(text) || AddressWord().IsMatch(text) || DateKey().IsMatch(text)) return false;
        if (ReceiptText.Dates(text).Count > 0 || ReceiptText.Amounts(text).Count > 0) return false;
        var letters = text.Count(c => char.IsLetter(c));
        var digits = text.Count(char.IsDigit);
        // A few digits belong to names ("TRIPLE SIX POINT ENTERPRISE 666", "99 SPEED MART"); more are an address or a number.
        return letters >= 2 && digits <= Math.Max(2, letters / 5) && letters >= 0.6 * text.Count(c => !char.IsWhiteSpace(c));
    }

    private static bool IsCjk(char c) => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF';

    private static string CleanName(string text)
    {
        // ¥ inside a name is OCR's Y ("MR D.I.¥."): a currency mark never belongs to a merchant name.
        var s = RegistrationNumber().Replace(text.Replace('¥', 'Y'), "");
        // A zero between letters, or ending an abbreviation, is the letter O ("AEON C0. (M) BHD", "G0LDEN").
        s = ZeroInWord().Replace(s, "O");
        // "DIMILIKI: BANH MI CAFE SDN BHD" (owned by): the name follows the colon.
        var colon = s.LastIndexOf(':');
        if (colon >= 0 && colon < s.Length - 3) s = s[(colon + 1)..];
        // OCR debris before the name: "7 AEON CO. (M) BHD", "» CO.".
        s = LeadingDebris().Replace(s, "");
        s = s.Trim(' ', '-', ':', '*', '.', ',', '|', '_', '~', '=', '"', '\'');
        // Keep the full stop of an abbreviated suffix (SDN. BHD.) that the trim removed.
        if (text.TrimEnd().EndsWith("BHD.", StringComparison.Ordinal) && s.EndsWith("BHD", StringComparison.Ordinal)) s += ".";
        return s;
    }

    // ---- currency, receipt number, payment ----

    private static FieldValue<string>? FindCurrency(List<Line> lines)
    {
        var all = string.Join('\n', lines.Select(l => l.Text));
        foreach (var (pattern, code, confidence) in CurrencyRules)
            if (pattern.IsMatch(all)) return new FieldValue<string>(code, confidence);
        return null;
    }

    private static readonly (Regex Pattern, string Code, double Confidence)[] CurrencyRules =
    [
        (new Regex(@"HK\$|\bHKD\b|港幣|港元", RegexOptions.CultureInvariant), "HKD", 0.95),
        // OCR reads HK$ as HKS / HK5 before an amount.
        (new Regex(@"HK[S5]\s?\d|HK[S5]$|HK[S5]\s", RegexOptions.CultureInvariant | RegexOptions.Multiline), "HKD", 0.8),
        (new Regex(@"\bMOP\b|澳門元|澳門幣|葡幣", RegexOptions.CultureInvariant), "MOP", 0.95),
        (new Regex(@"\bRMB\b|\bCNY\b|人民幣", RegexOptions.CultureInvariant), "CNY", 0.95),
        (new Regex(@"US\$|\bUSD\b", RegexOptions.CultureInvariant), "USD", 0.95),
        (new Regex(@"\bS\$|\bSGD\b", RegexOptions.CultureInvariant), "SGD", 0.9),
        (new Regex(@"\bMYR\b|\bRM\s?\d|\(RM\)|\bRM\b|\bSDN\.? ?BHD\b", RegexOptions.CultureInvariant), "MYR", 0.85),
        (new Regex(@"¥\s?\d|\d\s?元", RegexOptions.CultureInvariant), "CNY", 0.6),
        // A bare $ on a Hong Kong receipt is Hong Kong dollars; the product serves Hong Kong SMEs.
        (new Regex(@"\$", RegexOptions.CultureInvariant), "HKD", 0.6),
    ];

    private static FieldValue<string>? FindReceiptNumber(List<Line> lines)
    {
        foreach (var l in lines)
        {
            foreach (Match m in ReceiptNumberPattern().Matches(l.Text))
                if (m.Groups["v"].Value.Any(char.IsDigit))
                    return new FieldValue<string>(m.Groups["v"].Value.TrimEnd('.', ','), Scale(0.85, l));
        }
        return null;
    }

    private static FieldValue<string>? FindPaymentMethod(List<Line> lines)
    {
        foreach (var (pattern, name) in PaymentRules)
            foreach (var l in lines)
                if (pattern.IsMatch(l.Text) && !HeaderWord().IsMatch(l.Text))
                    return new FieldValue<string>(name, Scale(0.8, l));
        return null;
    }

    private static readonly (Regex Pattern, string Name)[] PaymentRules =
    [
        (new Regex(@"八達通|\bOCTOPUS\b"), "Octopus"),
        (new Regex(@"支付寶|\bALIPAY"), "Alipay"),
        (new Regex(@"微信支付|\bWECHAT ?PAY"), "WeChatPay"),
        (new Regex(@"\bPAYME\b"), "PayMe"),
        (new Regex(@"轉數快|\bFPS\b"), "FPS"),
        (new Regex(@"銀聯|\bUNION ?PAY\b|\bCUP\b"), "UnionPay"),
        (new Regex(@"\bVISA\b"), "Visa"),
        (new Regex(@"\bMASTER ?CARD\b|\bMASTER\b|萬事達"), "Mastercard"),
        (new Regex(@"\bAMEX\b|AMERICAN EXPRESS|美國運通"), "Amex"),
        (new Regex(@"\bEPS\b|易辦事"), "EPS"),
        (new Regex(@"信用卡|\bCREDIT CARD\b|\bCARD\b"), "Card"),
        (new Regex(@"現金|\bCASH\b"), "Cash"),
    ];

    // ---- keyword patterns (on normalised, upper-case text) ----

    [GeneratedRegex(@"AFTER\s?ROUNDING|GRAND\s?TOTAL|AMOUNT\s?DUE|TOTAL\s?DUE|BALANCE\s?DUE|NETT?\s?TOTAL|ROUND(?:ED|ING)?\s?TOTAL|TOTAL\s?(?:AMOUNT|AMT|PAYABLE|ROUNDED|INCL|INCLUSIVE|SALES?\s?\(?INCL)|TOTAL\s?AFTER|TOTAL\s?\(RM\)|總數|總計|總額|總金額|應付|應收|合計|付款總額|共計")]
    private static partial Regex StrongTotal();

    [GeneratedRegex(@"T[O0]TAL|TOT[A4]L|\b[TIJ1][O0U]T[A4][L1I]\b|實收|\bTTL\b")]
    private static partial Regex PlainTotal();

    [GeneratedRegex(@"\bAMOUNT\b|\bAMT\b|\bNETT?\b|\bPAYABLE\b|\bBALANCE\b|金額")]
    private static partial Regex WeakTotal();

    [GeneratedRegex(@"SUB\s?-?\s?T[O0]TAL|小計|TOTAL\s?(?:QTY|QUANTITY|ITEMS?|PCS|UNITS?|DISC|DISCOUNT|SAVINGS?|SAVED|EXCL|EXCLUDING|BEFORE|POINTS?|WEIGHT|NO\.?\s?OF)|\bQTY\b|EXCL\.?\s|EXCLUSIVE|BEFORE\s?(?:GST|TAX)|ROUNDING\s?ADJ|ADJUSTMENT|\bGROSS\b|DISCOUNT|折扣|SAVING|POINTS|積分|件數|數量|ITEM\(S\)|NO\.?\s?OF\s?ITEMS?|SUMMARY|ANALYSIS|\bCOUNT\b")]
    private static partial Regex NotTotal();

    [GeneratedRegex(@"INCL|INCLUSIVE|WITH|\bW/|包括|已含")]
    private static partial Regex Inclusive();

    [GeneratedRegex(@"TOTAL\s?(?:\d{1,2}\s?%\s?)?(?:GST|SST|VAT|TAX)\b|\b(?:GST|SST|VAT|TAX)\s?TOTAL|稅")]
    private static partial Regex TaxTotal();

    [GeneratedRegex(@"(?<!\d)10\s?%")]
    private static partial Regex TenPercent();

    [GeneratedRegex(@"\b[A-Z0-9]{4,6}\b")]
    private static partial Regex WordToken();

    [GeneratedRegex(@"(?<![\d.,])(?<i>\d{1,4}) (?<c>\d{2})[^\dA-Z]*$")]
    private static partial Regex SpacedDecimal();

    [GeneratedRegex(@"(?<![\d.,])(?<n>\d{3,7})[^\dA-Z]*$")]
    private static partial Regex JoinedDecimal();

    [GeneratedRegex(@"\bCASH\b|現金|\bTENDER|\bPAID\b|RECEIVED|收款|已收|\bVISA\b|\bMASTER|\bAMEX\b|八達通|\bOCTOPUS\b|\bCARD\b|信用卡|支付寶|\bALIPAY|微信|\bPAYME\b|\bEPS\b|銀聯")]
    private static partial Regex CashKey();

    [GeneratedRegex(@"CHANGE|找續|找贖|找零|找回|找(?=\s?[$\d])|\bCHG\s?DUE|BALANCE\s?RETURN")]
    private static partial Regex ChangeKey();

    [GeneratedRegex(@"TENDER|PAYMENT|付款方式")]
    private static partial Regex TenderKey();

    [GeneratedRegex(@"SUB\s?-?\s?T[O0]TAL|小計|TOTAL\s?(?:EXCL|EXCLUDING|BEFORE)|TOTAL\s?SALES?\s?\(?EXCL")]
    private static partial Regex SubtotalKey();

    [GeneratedRegex(@"\b(?:GST|SST|VAT|TAX)\b|稅")]
    private static partial Regex TaxKey();

    [GeneratedRegex(@"INVOICE|\bREG|\bID\b|\bNO\b|\bNO\.|\bNUMBER|INCL|INCLUSIVE|EXCL|SUMMARY|發票|編號|TOTAL\s?SALES|CODE")]
    private static partial Regex TaxNotAmount();

    [GeneratedRegex(@"SERVICE\s?(?:CHARGE|CHG|FEE)|SVC\.?\s?CHG|SERV\.?\s?CHG|\bS/C\b|服務費|加一|服務")]
    private static partial Regex ServiceKey();

    [GeneratedRegex(@"DATE|日期|時間|TIME|\bDT\b")]
    private static partial Regex DateKey();

    [GeneratedRegex(@"EXP(?:IRY|IRES|\.)?\b|VALID|有效")]
    private static partial Regex ExpiryKey();

    [GeneratedRegex(@"(?<!\d)(?:(?<zham>上午)|(?<zhpm>下午))?\s?(?<h>[01]?\d|2[0-3])[:：](?<m>[0-5]\d)(?:[:：](?<s>[0-5]\d))?(?!\d)\s?(?:(?<am>AM|A\.M\.)|(?<pm>PM|P\.M\.))?")]
    private static partial Regex TimePattern();

    [GeneratedRegex(@"\bSDN\.?\s?BHD\.?|\bS/B\b|\bBERHAD\b|\bBHD\.?(?!\w)|\bCO\.?,?\s?LTD\.?|\bPTE\.?\s?LTD\.?|\bLTD\.?(?!\w)|\bLIMITED\b|\bPLC\b|\bLLC\b|\bINC\.?(?!\w)|\bCORP(?:ORATION)?\b|有限公司|公司")]
    private static partial Regex LegalSuffix();

    [GeneratedRegex(@"ENTERPRISE|TRADING|HARDWARE|RESTAURANT|RESTORAN|STATIONERY|MART\b|MARKET|SUPERMARKET|STORE|SHOP|CAFE|KEDAI|PERNIAGAAN|SYARIKAT|BAKERY|PHARMACY|FARMASI|GALLERY|MOTOR|PETRO|HOTEL|TAXI|BOOKS|BOOKSTORE|ELECTRICAL|FOOD|CATERING|餐廳|酒家|酒樓|茶餐廳|茶樓|冰室|超市|超級市場|百貨|便利店|藥房|商行|商店|的士|咖啡|麵家|粥麵|燒臘|士多|書局|集團")]
    private static partial Regex BusinessWord();

    [GeneratedRegex(@"TAX\s?INVOICE|SIMPLIFIED|\bINVOICE\b|\bRECEIPT\b|CASH\s?BILL|\bWELCOME\b|THANK|歡迎|收據|發票|單據|OFFICIAL|\bCOPY\b|\bGST\b|REG\.?\s?NO|\bTEL\b|\bFAX\b|電話")]
    private static partial Regex HeaderWord();

    [GeneratedRegex(@"\bJALAN\b|\bJLN\b|\bROAD\b|\bRD\b|\bSTREET\b|\bST\.?\s|\bLOT\b|\bNO\.?\s?\d|\bTAMAN\b|\bLORONG\b|\bFLOOR\b|\bSHOP\s?\d|\bBLOCK\b|\bBLK\b|\bTOWER\b|\bBUILDING\b|\bJOHOR\b|\bSELANGOR\b|\d{5}|[\u4E00-\u9FFF]+(?:街|道|路)\d|\d+號|地址|(?:\d|[一二三四五六七八九十]|閣|頂)樓|地下|舖")]
    private static partial Regex AddressWord();

    [GeneratedRegex(@"^[^A-Z0-9\u4E00-\u9FFF(]+")]
    private static partial Regex LeadingDebris();

    [GeneratedRegex(@"ROUND(?:ING|ED)?\s?(?:ADJ|ADJUSTMENT)?|進位|捨入")]
    private static partial Regex RoundingKey();

    [GeneratedRegex(@"(?<=[A-Z])0(?=[A-Z]|\.)")]
    private static partial Regex ZeroInWord();

    [GeneratedRegex(@"TAX\s?INVOICE|\bINVOICE\b|\bRECEIPT\b|CASH\s?BILL|收據|發票")]
    private static partial Regex TitleWord();

    [GeneratedRegex(@"^(?:&|AND\b)")]
    private static partial Regex LeadingAnd();

    [GeneratedRegex(@"(?:&|\bAND)$")]
    private static partial Regex TrailingAnd();

    [GeneratedRegex(@"\(?\s*(?:CO\.?\s?)?(?:REG\.?\s?)?(?:NO\.?)?\s?[:.]?\s?\d{4,}\s?-?\s?[A-Z]?\s*\)?\s*$")]
    private static partial Regex RegistrationNumber();

    [GeneratedRegex(@"(?:RECEIPT|RCPT|INVOICE|INV|BILL|DOC(?:UMENT)?|TRANS(?:ACTION)?|CHECK|CHK|ORDER|SLIP|REF|TXN)\s?(?:NO\.?|NUMBER|NUM|#|ID)\s?[:#.]?\s?(?<v>(?=[A-Z\-/]*\d)[A-Z0-9][A-Z0-9\-/]{2,})|(?:單號|單據號碼|單據編號|收據編號|收據號碼|發票號碼|發票編號|編號|票號|單號碼)\s?[:#.]?\s?(?<v>(?=[A-Z\-/]*\d)[A-Z0-9][A-Z0-9\-/]{2,})")]
    private static partial Regex ReceiptNumberPattern();
}
