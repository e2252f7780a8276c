using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Reimburse.Core.Receipts;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>
/// Local OCR with PaddleOCR's PP-OCRv4 models (text detection + recognition, Chinese and English in one dictionary) on
/// ONNX Runtime. Images are decoded by ImageMagick in a child process under the same caps as every other tool; only
/// the bounded tensors we build reach the in-process runtime. Runs are bounded in number and time (a run over its time
/// is terminated and reported as an engine failure, so the pipeline retries it later).
/// </summary>
public sealed partial class PaddleOcrEngine : IOcrEngine, IDisposable
{
    public const string DetectionModel = "ch_PP-OCRv4_det_infer.onnx";
    public const string RecognitionModel = "ch_PP-OCRv4_rec_infer.onnx";
    public const string Dictionary = "ppocr_keys_v1.txt";

    private static readonly float[] DetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] DetStd = [0.229f, 0.224f, 0.225f];
    private static readonly float[] RecMean = [0.5f, 0.5f, 0.5f];
    private static readonly float[] RecStd = [0.5f, 0.5f, 0.5f];
    private const int RecHeight = 48;
    private const int RecMaxWidth = 1600;
    private const int RecBatch = 4; // small batches pad less (measured: 8 and 24 were slower on SROIE)
    // Batches are padded to their widest crop (rounded to 32), not to PaddleOCR's 320 minimum: short crops (prices,
    // dates) are most of a receipt, and recognition cost grows with the padded width (measured on SROIE: 30% faster,
    // same accuracy).
    private const int MinRecWidth = 64;
    private const float DropScore = 0.5f;

    private readonly OcrOptions _options;
    private readonly ILogger<PaddleOcrEngine> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Lazy<(InferenceSession Det, InferenceSession Rec, string[] Chars)> _models;

    public PaddleOcrEngine(IOptions<OcrOptions> options, ILogger<PaddleOcrEngine> logger)
    {
        _options = options.Value;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _models = new Lazy<(InferenceSession, InferenceSession, string[])>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name => "paddleocr";

    public string Version => "PP-OCRv4-onnx";

    public bool AcceptsPdf => false;

    /// <summary>The folder holding the three model files, or null when none of the usual places has them.</summary>
    public static string? FindModelDirectory(string? configured)
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, DetectionModel)) && File.Exists(Path.Combine(dir, RecognitionModel)) &&
                                       File.Exists(Path.Combine(dir, Dictionary));
        if (!string.IsNullOrEmpty(configured)) return Has(configured) ? configured : null;
        var bundled = Path.Combine(AppContext.BaseDirectory, "ocr-models");
        if (Has(bundled)) return bundled;
        // A developer checkout: the pinned npm package at the repository root.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "node_modules", "@gutenye", "ocr-models", "assets");
            if (Has(candidate)) return candidate;
        }
        return null;
    }

    private (InferenceSession, InferenceSession, string[]) Load()
    {
        var dir = FindModelDirectory(_options.PaddleModelDirectory)
                  ?? throw new FileNotFoundException($"PaddleOCR models ({DetectionModel}, {RecognitionModel}, {Dictionary}) were not found; " +
                                                     "run npm ci at the repository root or set Reimburse:Ocr:PaddleModelDirectory.");
        SessionOptions Session() => new()
        {
            // One thread a run; parallelism comes from MaxConcurrency runs at once (cheaper on a small machine).
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            EnableMemoryPattern = false,
        };
        using var detOptions = Session();
        using var recOptions = Session();
        var det = new InferenceSession(Path.Combine(dir, DetectionModel), detOptions);
        var rec = new InferenceSession(Path.Combine(dir, RecognitionModel), recOptions);
        // Index 0 is the CTC blank; the dictionary follows; the model's last class is a space.
        var chars = File.ReadAllLines(Path.Combine(dir, Dictionary), Encoding.UTF8);
        return (det, rec, ["", .. chars, " "]);
    }

    public async Task<OcrOutcome> RecognizeAsync(OcrInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var image = await DecodeAsync(input, cancellationToken).ConfigureAwait(false);
            if (image.Image is null) return image.Failure!;
            var models = _models.Value;

            using var run = new RunOptions();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.EngineTimeoutSeconds));
            using var stop = timeout.Token.Register(() => run.Terminate = true);
            try
            {
                var document = await Task.Run(() => Recognize(models.Det, models.Rec, models.Chars, image.Image, run), CancellationToken.None)
                    .ConfigureAwait(false);
                return OcrOutcome.Success(document);
            }
            catch (OnnxRuntimeException) when (timeout.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                LogEngineTimedOut(_logger, _options.EngineTimeoutSeconds);
                return OcrOutcome.EngineFailed($"PaddleOCR exceeded {_options.EngineTimeoutSeconds}s and was stopped");
            }
        }
        catch (FileNotFoundException e)
        {
            LogEngineFailed(_logger, e.Message);
            return OcrOutcome.EngineFailed(e.Message);
        }
        catch (OnnxRuntimeException e)
        {
            LogEngineFailed(_logger, e.Message);
            return OcrOutcome.EngineFailed($"PaddleOCR failed: {e.Message}");
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<(RgbImage? Image, OcrOutcome? Failure)> DecodeAsync(OcrInput input, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("reimburse-paddle-");
        try
        {
            var ext = input.MediaType == "image/png" ? ".png" : input.MediaType == "image/jpeg" ? ".jpg" : ".img";
            var path = Path.Combine(dir.FullName, "page" + ext);
            var output = Path.Combine(dir.FullName, "page.ppm");
            await File.WriteAllBytesAsync(path, input.Content, cancellationToken).ConfigureAwait(false);
            var r = await ProcessRunner.RunAsync("convert",
                [.. ImageMagick.LimitArguments(_options), path + "[0]", "-auto-orient", "-alpha", "off", "-colorspace", "sRGB", "-depth", "8", output],
                TimeSpan.FromSeconds(_options.ToolTimeoutSeconds), _options.MemoryLimitMegabytes * 1024L * 1024L,
                ImageMagick.Environment(_options), cancellationToken).ConfigureAwait(false);
            if (r.TimedOut) return (null, OcrOutcome.Unreadable($"image decoding exceeded {_options.ToolTimeoutSeconds}s"));
            if (!r.Succeeded || !File.Exists(output))
                return (null, OcrOutcome.Unreadable($"image could not be decoded: {FirstLine(r.Stderr)}"));
            var image = RgbImage.ParsePpm(await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false));
            return image is null ? (null, OcrOutcome.Unreadable("image could not be decoded: unexpected raster")) : (image, null);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private OcrDocument Recognize(InferenceSession det, InferenceSession rec, string[] chars, RgbImage image, RunOptions run)
    {
        // Detection at a bounded size (multiples of 32). Long receipts keep more pixels than PaddleOCR's 960 default:
        // their text is small relative to the page.
        var scale = Math.Min(1.0, (double)_options.PaddleDetectionMaxSide / Math.Max(image.Width, image.Height));
        var dw = Math.Max(32, (int)Math.Round(image.Width * scale / 32) * 32);
        var dh = Math.Max(32, (int)Math.Round(image.Height * scale / 32) * 32);
        var detInput = new DenseTensor<float>([1, 3, dh, dw]);
        image.SampleInto(detInput.Buffer.Span, dw, dw, dh, 0, 0, image.Width, image.Height, DetMean, DetStd);
        var prof = System.Diagnostics.Stopwatch.StartNew();
        List<PaddleTextDetector.Region> regions;
        using (var detOut = det.Run([NamedOnnxValue.CreateFromTensor(det.InputMetadata.Keys.First(), detInput)], det.OutputMetadata.Keys.ToList(), run))
        {
            var map = detOut[0].AsTensor<float>();
            var dims = map.Dimensions;
            ReadOnlySpan<float> flat = ((DenseTensor<float>)map).Buffer.Span;
            regions = PaddleTextDetector.FindRegions(flat, dims[^1], dims[^2]);
        }

        var detMs = prof.ElapsedMilliseconds;
        double fx = (double)image.Width / dw, fy = (double)image.Height / dh;
        var boxes = regions
            .Select(r => (X: r.Left * fx, Y: r.Top * fy, W: (r.Right - r.Left) * fx, H: (r.Bottom - r.Top) * fy))
            .Where(b => b.W >= 4 && b.H >= 4)
            .ToList();

        // Recognition in batches of similar aspect ratio (less padding).
        var order = Enumerable.Range(0, boxes.Count).OrderBy(i => boxes[i].W / boxes[i].H).ToList();
        var segments = new List<Segment>();
        for (var b = 0; b < order.Count; b += RecBatch)
        {
            var batch = order.Skip(b).Take(RecBatch).ToList();
            var widths = batch.Select(i => Math.Clamp((int)Math.Ceiling(RecHeight * boxes[i].W / boxes[i].H), 8, RecMaxWidth)).ToList();
            var stride = Math.Max(MinRecWidth, (widths.Max() + 31) / 32 * 32);
            var recInput = new DenseTensor<float>([batch.Count, 3, RecHeight, stride]);
            var span = recInput.Buffer.Span;
            var per = 3 * RecHeight * stride;
            for (var k = 0; k < batch.Count; k++)
            {
                var box = boxes[batch[k]];
                image.SampleInto(span.Slice(k * per, per), stride, widths[k], RecHeight, box.X, box.Y, box.W, box.H, RecMean, RecStd);
            }
            using var recOut = rec.Run([NamedOnnxValue.CreateFromTensor(rec.InputMetadata.Keys.First(), recInput)], rec.OutputMetadata.Keys.ToList(), run);
            var probs = recOut[0].AsTensor<float>();
            var pd = probs.Dimensions;
            ReadOnlySpan<float> flat = ((DenseTensor<float>)probs).Buffer.Span;
            int steps = pd[1], classes = pd[2];
            for (var k = 0; k < batch.Count; k++)
            {
                var (text, confidence) = CtcDecode(flat.Slice(k * steps * classes, steps * classes), steps, classes, chars);
                text = text.Trim();
                if (text.Length == 0 || confidence < DropScore) continue;
                var box = boxes[batch[k]];
                segments.Add(new Segment(text, confidence, box.X, box.Y, box.W, box.H));
            }
        }
        LogRead(_logger, boxes.Count, dw, dh, detMs, prof.ElapsedMilliseconds - detMs);
        return new OcrDocument(GroupLines(segments));
    }

    /// <summary>
    /// Greedy CTC decoding: best class per step, repeats collapsed, blanks dropped; confidence = mean of kept steps.
    /// The model often drops the space between a word and a number printed close together ("CASH 20.00" comes out as
    /// "CASH20.00"); where the steps between a letter and a digit are much wider than the line's character pitch, a space
    /// is put back. Nothing else is split: a wrong space inside "151.81" breaks the amount and one inside "Mar" the date,
    /// while words run together and a date glued to its time are handled by the extractor.
    /// </summary>
    internal static (string Text, float Confidence) CtcDecode(ReadOnlySpan<float> probs, int steps, int classes, string[] chars)
    {
        var emitted = new List<(string Char, int Step)>();
        var last = -1;
        double sum = 0;
        for (var t = 0; t < steps; t++)
        {
            var row = probs.Slice(t * classes, classes);
            var best = 0;
            var max = row[0];
            for (var c = 1; c < classes; c++)
                if (row[c] > max) { max = row[c]; best = c; }
            if (best != 0 && best != last && best < chars.Length)
            {
                emitted.Add((chars[best], t));
                sum += max;
            }
            last = best;
        }
        if (emitted.Count == 0) return ("", 0);
        return (RestoreSpaces(emitted), (float)(sum / emitted.Count));
    }

    /// <summary>Gap (in steps) between two character starts above which a space is inserted, relative to the median pitch.</summary>
    internal const double SpaceGapFactor = 1.75;

    internal static string RestoreSpaces(IReadOnlyList<(string Char, int Step)> emitted)
    {
        var sb = new StringBuilder();
        var gaps = new List<int>();
        for (var i = 1; i < emitted.Count; i++)
            if (emitted[i].Char != " " && emitted[i - 1].Char != " " && !IsCjk(emitted[i].Char[0]) && !IsCjk(emitted[i - 1].Char[0]))
                gaps.Add(emitted[i].Step - emitted[i - 1].Step);
        gaps.Sort();
        var pitch = gaps.Count >= 4 ? gaps[gaps.Count / 2] : int.MaxValue;
        for (var i = 0; i < emitted.Count; i++)
        {
            if (i > 0 && pitch != int.MaxValue && emitted[i].Char != " " && emitted[i - 1].Char != " " &&
                !IsCjk(emitted[i].Char[0]) && !IsCjk(emitted[i - 1].Char[0]) &&
                char.IsLetter(emitted[i].Char[0]) != char.IsLetter(emitted[i - 1].Char[0]) &&
                (char.IsDigit(emitted[i].Char[0]) || char.IsDigit(emitted[i - 1].Char[0])) &&
                emitted[i].Step - emitted[i - 1].Step >= Math.Max(pitch + 2, SpaceGapFactor * pitch))
                sb.Append(' ');
            sb.Append(emitted[i].Char);
        }
        return sb.ToString();
    }

    /// <summary>A recognised text box (page pixels).</summary>
    internal sealed record Segment(string Text, double Confidence, double X, double Y, double W, double H)
    {
        public double CenterY => Y + H / 2;

        public double Right => X + W;
    }

    /// <summary>
    /// Joins boxes into reading-order lines: a box belongs to the line whose nearest box overlaps it vertically by at
    /// least half the smaller height and does not overlap it horizontally. Within a line boxes run left to right.
    /// </summary>
    internal static List<OcrLine> GroupLines(IReadOnlyList<Segment> segments)
    {
        var lines = new List<List<Segment>>();
        foreach (var s in segments.OrderBy(s => s.CenterY))
        {
            List<Segment>? home = null;
            var bestOverlap = 0.0;
            foreach (var line in lines)
            {
                if (line.Any(o => Math.Min(o.Right, s.Right) - Math.Max(o.X, s.X) > 0.3 * Math.Min(o.W, s.W))) continue;
                var nearest = line.MinBy(o => Math.Abs(o.X + o.W / 2 - (s.X + s.W / 2)))!;
                var overlap = (Math.Min(nearest.Y + nearest.H, s.Y + s.H) - Math.Max(nearest.Y, s.Y)) / Math.Min(nearest.H, s.H);
                if (overlap >= 0.5 && overlap > bestOverlap) { bestOverlap = overlap; home = line; }
            }
            if (home is null) lines.Add([s]);
            else home.Add(s);
        }

        return lines
            .Select(l => l.OrderBy(s => s.X).ToList())
            .OrderBy(l => l.Average(s => s.CenterY))
            .Select(l =>
            {
                var sb = new StringBuilder();
                foreach (var s in l)
                {
                    if (sb.Length > 0 && !(IsCjk(sb[^1]) && IsCjk(s.Text[0]))) sb.Append(' ');
                    sb.Append(s.Text);
                }
                var chars = l.Sum(s => s.Text.Length);
                var confidence = l.Sum(s => s.Confidence * s.Text.Length) / Math.Max(1, chars);
                int left = (int)l.Min(s => s.X), top = (int)l.Min(s => s.Y);
                int right = (int)Math.Ceiling(l.Max(s => s.Right)), bottom = (int)Math.Ceiling(l.Max(s => s.Y + s.H));
                return new OcrLine(sb.ToString(), Math.Round(confidence, 3), new OcrBox(left, top, right - left, bottom - top));
            })
            .ToList();
    }

    private static bool IsCjk(char c) => OcrText.IsCjk(c);

    private static string FirstLine(string s) => OcrText.FirstLine(s, "no detail");

    public void Dispose()
    {
        _slots.Dispose();
        if (_models.IsValueCreated)
        {
            _models.Value.Det.Dispose();
            _models.Value.Rec.Dispose();
        }
    }

    [LoggerMessage(EventId = 3113, Level = LogLevel.Debug, Message = "PaddleOCR read {Boxes} text boxes: detection at {Width}x{Height} {DetectionMs} ms, recognition {RecognitionMs} ms")]
    private static partial void LogRead(ILogger logger, int boxes, int width, int height, long detectionMs, long recognitionMs);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "PaddleOCR exceeded {TimeoutSeconds}s and was stopped")]
    private static partial void LogEngineTimedOut(ILogger logger, int timeoutSeconds);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Warning, Message = "PaddleOCR failed: {Reason}")]
    private static partial void LogEngineFailed(ILogger logger, string reason);
}
