namespace Reimburse.Core.Receipts;

/// <summary>A pixel rectangle on a page (left, top, width, height).</summary>
public sealed record OcrBox(int Left, int Top, int Width, int Height);

/// <summary>One line of recognised text with the engine's confidence (0..1) and, when known, where it sits.</summary>
public sealed record OcrLine(string Text, double Confidence, OcrBox? Box = null, int Page = 1);

/// <summary>Engine-independent OCR output: the lines of text in reading order.</summary>
public sealed record OcrDocument(IReadOnlyList<OcrLine> Lines)
{
    /// <summary>All lines joined by newlines.</summary>
    public string Text => string.Join('\n', Lines.Select(l => l.Text));

    /// <summary>Builds a document from plain text (a PDF text layer, a test case); every line gets the same confidence.</summary>
    public static OcrDocument FromText(string text, double confidence = 1.0) =>
        new(text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Select(l => l.TrimEnd())
            .Where(l => l.Length > 0)
            .Select(l => new OcrLine(l, confidence))
            .ToList());
}
