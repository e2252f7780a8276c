namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Small text helpers the engines and the reader share.</summary>
internal static class OcrText
{
    /// <summary>CJK ideographs, CJK punctuation and full-width forms: joined without spaces when lines are assembled.</summary>
    public static bool IsCjk(char c) => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3000' and <= '\u303F' or >= '\uFF00' and <= '\uFFEF';

    /// <summary>The first non-empty line of a tool's output, at most 200 characters, for a reason shown to people.</summary>
    public static string FirstLine(string s, string fallback)
    {
        var line = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? fallback;
        return line.Length > 200 ? line[..200] : line;
    }
}
