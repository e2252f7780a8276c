using Reimburse.Core.Receipts;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>A page image (or a PDF, when the engine takes PDFs) to recognise.</summary>
public sealed record OcrInput(byte[] Content, string MediaType);

/// <summary>What an engine made of one input: lines of text, and fields when the engine extracts them itself.</summary>
public sealed record OcrOutcome(OcrDocument? Document, ReceiptFields? EngineFields, string? FailureReason, bool Retryable)
{
    public static OcrOutcome Success(OcrDocument document, ReceiptFields? engineFields = null) => new(document, engineFields, null, false);

    /// <summary>The input cannot be read (retrying will not help).</summary>
    public static OcrOutcome Unreadable(string reason) => new(null, null, reason, false);

    /// <summary>The engine crashed, hung or was throttled; try again later.</summary>
    public static OcrOutcome EngineFailed(string reason) => new(null, null, reason, true);
}

/// <summary>An OCR engine. Implementations never throw for bad input; they return an outcome with a reason.</summary>
public interface IOcrEngine
{
    string Name { get; }

    string Version { get; }

    /// <summary>True when the engine reads PDFs itself (otherwise the reader rasterises them).</summary>
    bool AcceptsPdf { get; }

    Task<OcrOutcome> RecognizeAsync(OcrInput input, CancellationToken cancellationToken = default);
}
