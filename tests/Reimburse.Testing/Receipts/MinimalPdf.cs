using System.Globalization;
using System.Text;

namespace Reimburse.Testing.Receipts;

/// <summary>Writes small PDFs by hand: a text-layer e-receipt, an image-only scan, and hostile files for guard tests.</summary>
public static class MinimalPdf
{
    /// <summary>A one-page PDF whose text is real text (Helvetica, ASCII) positioned line by line; items are (x, text).</summary>
    public static byte[] TextPage(IReadOnlyList<IReadOnlyList<(double X, string Text)>> lines, double fontSize = 11)
    {
        var height = 72 + lines.Count * (fontSize * 1.6);
        var sb = new StringBuilder();
        var y = height - 48;
        foreach (var line in lines)
        {
            foreach (var (x, text) in line)
                sb.Append(CultureInfo.InvariantCulture, $"BT /F1 {fontSize} Tf {x:0.##} {y:0.##} Td ({Escape(text)}) Tj ET\n");
            y -= fontSize * 1.6;
        }
        var content = Encoding.ASCII.GetBytes(sb.ToString());
        return Build(
        [
            A("<< /Type /Catalog /Pages 2 0 R >>"),
            A("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            A($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 {height.ToString("0", CultureInfo.InvariantCulture)}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
            Stream("", content),
            A("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
        ]);
    }

    /// <summary>A one-page PDF that is only a JPEG (a scan): no text layer.</summary>
    public static byte[] ImagePage(byte[] jpeg, int width, int height, int components, double dpi = 150)
    {
        var w = width * 72.0 / dpi;
        var h = height * 72.0 / dpi;
        var space = components == 1 ? "/DeviceGray" : "/DeviceRGB";
        var content = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"q {w:0.##} 0 0 {h:0.##} 0 0 cm /Im0 Do Q\n"));
        return Build(
        [
            A("<< /Type /Catalog /Pages 2 0 R >>"),
            A("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            A(string.Create(CultureInfo.InvariantCulture, $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:0.##} {h:0.##}] /Contents 4 0 R /Resources << /XObject << /Im0 5 0 R >> >> >>")),
            Stream("", content),
            Stream($"/Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode", jpeg),
        ]);
    }

    /// <summary>A valid PDF with <paramref name="pages"/> empty pages sharing nothing but their parent (cheap at 10,000).</summary>
    public static byte[] ManyPages(int pages)
    {
        var objects = new List<byte[]>
        {
            A("<< /Type /Catalog /Pages 2 0 R >>"),
            A($"<< /Type /Pages /Kids [{string.Join(' ', Enumerable.Range(3, pages).Select(i => $"{i} 0 R"))}] /Count {pages} >>"),
        };
        for (var i = 0; i < pages; i++) objects.Add(A("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"));
        return Build(objects);
    }

    /// <summary>A PDF whose xref chain points back at itself and whose page tree contains itself.</summary>
    public static byte[] CyclicXref()
    {
        var header = "%PDF-1.4\n";
        var o1 = "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
        var o2 = "2 0 obj\n<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>\nendobj\n";
        var o3 = "3 0 obj\n<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>\nendobj\n";
        var off1 = header.Length;
        var off2 = off1 + o1.Length;
        var off3 = off2 + o2.Length;
        var xrefAt = off3 + o3.Length;
        var xref = $"xref\n0 4\n0000000000 65535 f \n{off1:D10} 00000 n \n{off2:D10} 00000 n \n{off3:D10} 00000 n \n" +
                   $"trailer\n<< /Size 4 /Root 1 0 R /Prev {xrefAt} >>\nstartxref\n{xrefAt}\n%%EOF\n";
        return Encoding.ASCII.GetBytes(header + o1 + o2 + o3 + xref);
    }

    private static byte[] A(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] Stream(string dict, byte[] data)
    {
        var head = Encoding.ASCII.GetBytes($"<< {dict} /Length {data.Length} >>\nstream\n");
        var tail = Encoding.ASCII.GetBytes("\nendstream");
        return [.. head, .. data, .. tail];
    }

    private static byte[] Build(IReadOnlyList<byte[]> objects)
    {
        using var ms = new MemoryStream();
        void W(string s) { var b = Encoding.ASCII.GetBytes(s); ms.Write(b); }
        W("%PDF-1.4\n%\u00e2\u00e3\n");
        var offsets = new long[objects.Count];
        for (var i = 0; i < objects.Count; i++)
        {
            offsets[i] = ms.Position;
            W($"{i + 1} 0 obj\n");
            ms.Write(objects[i]);
            W("\nendobj\n");
        }
        var xref = ms.Position;
        W($"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var o in offsets) W($"{o:D10} 00000 n \n");
        W($"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return ms.ToArray();
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal);
}
