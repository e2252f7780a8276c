using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reimburse.Core.Receipts;
using Reimburse.Functions.Receipts.Ocr;
using Reimburse.Testing.Receipts;

namespace Reimburse.Bench;

/// <summary>Receipt OCR accuracy and speed on SROIE-style data or the synthetic set, against a naive baseline.</summary>
public sealed class OcrBenchmark : IBenchmark
{
    public string Name => "ocr";

    public string Description => "ocr --dataset DIR | --synthetic N [--limit N] [--parallel P] [--engine paddle|tesseract] [--det-side PX] [--languages auto|eng|chi_tra+eng] [--preprocess] [--no-second-pass] [--skip N] [--verbose] [--explain ID] [--ocr-cache DIR]";

    private sealed record Item(string Id, byte[] Content, Dictionary<string, string?> Truth);

    private sealed record Outcome(Item Item, ReceiptReading Reading, double Seconds);

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string? dataset = null;
        int limit = int.MaxValue, parallel = 2, synthetic = 0;
        bool verbose = false, preprocess = false, secondPass = true;
        // The product default (OcrOptions.Engine); --engine tesseract measures the fallback.
        var engineName = "paddle";
        var detSide = new OcrOptions().PaddleDetectionMaxSide;
        var skip = 0;
        string? languages = null;
        string? cache = null, explain = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--dataset": dataset = args[++i]; break;
                case "--limit": limit = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--parallel": parallel = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--synthetic": synthetic = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--languages": languages = args[++i]; break;
                case "--engine": engineName = args[++i]; break;
                case "--det-side": detSide = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--preprocess": preprocess = true; break;
                case "--no-second-pass": secondPass = false; break;
                case "--skip": skip = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--verbose": verbose = true; break;
                case "--ocr-cache": cache = args[++i]; break;
                case "--explain": explain = args[++i]; break;
                default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
            }
        }
        if (dataset is null && synthetic <= 0) { Console.Error.WriteLine(Description); return 2; }
        // SROIE is English-only: the fast "auto" pass. The Hong Kong synthetic set runs the product default.
        languages ??= dataset is not null ? "auto" : new OcrOptions().TesseractLanguages;

        var items = dataset is not null ? LoadDataset(dataset, skip, limit) : await LoadSyntheticAsync(synthetic, skip, cancellationToken);
        if (explain is not null) items = items.Where(i => i.Id == explain).ToList();
        var fields = dataset is not null
            ? new[] { "company", "date", "total" }
            : new[] { "company", "date", "time", "total", "subtotal", "tax", "service", "currency", "receipt", "payment" };

        var options = Options.Create(new OcrOptions { MaxConcurrency = parallel, TesseractLanguages = languages, Preprocess = preprocess, SecondPass = secondPass, PaddleDetectionMaxSide = detSide });
        IOcrEngine engine = engineName switch
        {
            "tesseract" => new TesseractOcrEngine(options, NullLogger<TesseractOcrEngine>.Instance),
            "paddle" => new PaddleOcrEngine(options, NullLogger<PaddleOcrEngine>.Instance),
            _ => throw new ArgumentException($"unknown engine {engineName}; use tesseract or paddle"),
        };
        using var disposeEngine = engine as IDisposable;
        var reader = new ReceiptReader(engine, options, TimeProvider.System, NullLogger<ReceiptReader>.Instance);

        var outcomes = new Outcome[items.Count];
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var sw = Stopwatch.StartNew();
                // --ocr-cache keeps OCR output between runs so extractor changes can be measured without re-OCR (timing then meaningless).
                var cached = cache is null ? null : Path.Combine(cache, items[i].Id + ".json");
                ReceiptReading reading;
                if (cached is not null && File.Exists(cached))
                {
                    var doc = JsonSerializer.Deserialize<OcrDocument>(await File.ReadAllTextAsync(cached, ct))!;
                    reading = ReceiptReading.Read("cache", "", TimeSpan.Zero, doc, ReceiptFieldExtractor.Extract(doc));
                }
                else
                {
                    reading = await reader.ReadAsync(items[i].Content, null, ct);
                    if (cached is not null && reading.Document is not null)
                    {
                        Directory.CreateDirectory(cache!);
                        await File.WriteAllTextAsync(cached, JsonSerializer.Serialize(reading.Document), ct);
                    }
                }
                outcomes[i] = new Outcome(items[i], reading, sw.Elapsed.TotalSeconds);
            });
        wall.Stop();

        var ours = new Dictionary<string, (int Ok, int N)>();
        var naive = new Dictionary<string, (int Ok, int N)>();
        foreach (var o in outcomes)
        {
            var doc = o.Reading.Document ?? new OcrDocument([]);
            var f = o.Reading.Fields ?? new ReceiptFields();
            var nf = NaiveReceiptExtractor.Extract(doc);
            foreach (var field in fields)
            {
                if (!o.Item.Truth.TryGetValue(field, out var truth) || string.IsNullOrWhiteSpace(truth)) continue;
                var ok = Matches(field, truth, f);
                Tally(ours, field, ok);
                if (field is "company" or "date" or "total") Tally(naive, field, Matches(field, truth, nf));
                if (verbose && !ok)
                    Console.WriteLine($"  {o.Item.Id} {field}: want [{truth}] got [{Show(field, f)}]");
            }
        }

        if (explain is not null)
        {
            foreach (var l in outcomes[0].Reading.Document?.Lines ?? []) Console.WriteLine($"{l.Confidence:0.00} {l.Text}");
            Console.WriteLine(JsonSerializer.Serialize(outcomes[0].Reading.Fields, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }

        var secs = outcomes.Select(o => o.Seconds).Order().ToList();
        var unreadable = outcomes.Count(o => o.Reading.Status == ReceiptReadStatus.Unreadable);
        Console.WriteLine($"OCR benchmark: {(dataset ?? $"synthetic x{synthetic}")}, {items.Count} receipts, engine {engine.Name} {engine.Version}, " +
                          (engine is PaddleOcrEngine ? $"detection max side {detSide}" : $"languages {languages}, preprocess {preprocess}, second pass {secondPass}") +
                          $", parallel {parallel}, {Environment.ProcessorCount} cores, load average at end {LoadAverage()}");
        Console.WriteLine($"{"field",-10} {"ours",8} {"naive",8} {"ratio",7}");
        foreach (var field in fields)
        {
            if (!ours.TryGetValue(field, out var a)) continue;
            var pa = 100.0 * a.Ok / a.N;
            if (naive.TryGetValue(field, out var b))
            {
                var pb = 100.0 * b.Ok / b.N;
                Console.WriteLine($"{field,-10} {pa,7:0.0}% {pb,7:0.0}% {(pb > 0 ? (pa / pb).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "inf"),7}   (n={a.N})");
            }
            else
            {
                Console.WriteLine($"{field,-10} {pa,7:0.0}% {"-",8} {"-",7}   (n={a.N})");
            }
        }
        Console.WriteLine($"unreadable {unreadable}/{items.Count}");
        Console.WriteLine($"throughput {items.Count / wall.Elapsed.TotalMinutes:0.0} receipts/min (wall {wall.Elapsed.TotalSeconds:0.0}s)");
        Console.WriteLine($"latency p50 {Percentile(secs, 0.50):0.00}s p99 {Percentile(secs, 0.99):0.00}s per receipt");
        return 0;
    }

    private static void Tally(Dictionary<string, (int Ok, int N)> t, string field, bool ok)
    {
        var (o, n) = t.GetValueOrDefault(field);
        t[field] = (o + (ok ? 1 : 0), n + 1);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Normalisation: company = upper-case letters and digits only; dates compared as calendar dates; amounts as decimals.</summary>
    internal static bool Matches(string field, string truth, ReceiptFields f) => field switch
    {
        "company" => f.Merchant is { } m && NormaliseName(m.Value) == NormaliseName(truth),
        "date" => f.Date is { } d && (ReceiptText.ParseDate(truth) is { } td ? td == d.Value : false),
        "time" => f.Time is { } t && TimeOnly.Parse(truth, CultureInfo.InvariantCulture) == t.Value,
        "total" => Amount(f.Total, truth),
        "subtotal" => Amount(f.Subtotal, truth),
        "tax" => Amount(f.Tax, truth),
        "service" => Amount(f.ServiceCharge, truth),
        "currency" => f.Currency?.Value == truth,
        "receipt" => f.ReceiptNumber is { } r && NormaliseName(r.Value) == NormaliseName(truth),
        "payment" => f.PaymentMethod?.Value == truth,
        _ => false,
    };

    private static bool Amount(FieldValue<decimal>? v, string truth) => v is { } x && ReceiptText.ParseAmount(truth) == x.Value;

    private static string Show(string field, ReceiptFields f) => field switch
    {
        "company" => f.Merchant?.Value ?? "",
        "date" => f.Date?.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "",
        "time" => f.Time?.Value.ToString("HH:mm:ss", CultureInfo.InvariantCulture) ?? "",
        "total" => f.Total?.Value.ToString(CultureInfo.InvariantCulture) ?? "",
        "subtotal" => f.Subtotal?.Value.ToString(CultureInfo.InvariantCulture) ?? "",
        "tax" => f.Tax?.Value.ToString(CultureInfo.InvariantCulture) ?? "",
        "service" => f.ServiceCharge?.Value.ToString(CultureInfo.InvariantCulture) ?? "",
        "currency" => f.Currency?.Value ?? "",
        "receipt" => f.ReceiptNumber?.Value ?? "",
        "payment" => f.PaymentMethod?.Value ?? "",
        _ => "",
    };

    internal static string NormaliseName(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s.Normalize(NormalizationForm.FormKC).ToUpperInvariant())
            if (char.IsLetterOrDigit(ch)) sb.Append(ch);
        return sb.ToString();
    }

    private static List<Item> LoadDataset(string dir, int skip, int limit)
    {
        var list = new List<Item>();
        foreach (var img in Directory.GetFiles(Path.Combine(dir, "img"), "*.jpg").Order(StringComparer.Ordinal).Skip(skip).Take(limit))
        {
            var id = Path.GetFileNameWithoutExtension(img);
            var keyPath = Path.Combine(dir, "key", id + ".json");
            if (!File.Exists(keyPath)) continue;
            using var json = JsonDocument.Parse(File.ReadAllText(keyPath));
            var truth = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
            list.Add(new Item(id, File.ReadAllBytes(img), truth));
        }
        return list;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static async Task<List<Item>> LoadSyntheticAsync(int count, int skip, CancellationToken cancellationToken)
    {
        var list = new List<Item>();
        var kinds = Enum.GetValues<SyntheticReceiptKind>();
        for (var i = 0; i < count; i++)
        {
            var r = await SyntheticReceipts.GenerateAsync(kinds[i % kinds.Length], 1000 + skip + i, cancellationToken);
            var t = r.Truth;
            var truth = new Dictionary<string, string?>
            {
                ["company"] = t.Merchant,
                ["date"] = t.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["time"] = t.Time?.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
                ["total"] = t.Total.ToString(CultureInfo.InvariantCulture),
                ["subtotal"] = t.Subtotal?.ToString(CultureInfo.InvariantCulture),
                ["tax"] = t.Tax?.ToString(CultureInfo.InvariantCulture),
                ["service"] = t.ServiceCharge?.ToString(CultureInfo.InvariantCulture),
                ["currency"] = t.Currency,
                ["receipt"] = t.ReceiptNumber,
                ["payment"] = t.PaymentMethod,
            };
            list.Add(new Item($"{r.Kind}-{i}", r.Content, truth));
        }
        return list;
    }
}
