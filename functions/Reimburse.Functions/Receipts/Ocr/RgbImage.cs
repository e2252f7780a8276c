using System.Globalization;

namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>An 8-bit RGB raster (row-major, 3 bytes a pixel) decoded outside the process by ImageMagick.</summary>
internal sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0 || pixels.Length < (long)width * height * 3)
            throw new ArgumentException("pixel buffer does not match the dimensions", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    /// <summary>Parses a binary PPM (P6, maxval 255) as ImageMagick writes it; null when it is anything else.</summary>
    public static RgbImage? ParsePpm(ReadOnlySpan<byte> ppm)
    {
        var pos = 0;
        string? Token(ReadOnlySpan<byte> s)
        {
            while (pos < s.Length)
            {
                if (s[pos] == '#') { while (pos < s.Length && s[pos] != '\n') pos++; }
                else if (s[pos] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') pos++;
                else break;
            }
            var start = pos;
            while (pos < s.Length && s[pos] is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) pos++;
            return pos > start && pos - start < 12 ? System.Text.Encoding.ASCII.GetString(s[start..pos]) : null;
        }

        if (Token(ppm) != "P6") return null;
        if (!int.TryParse(Token(ppm), NumberStyles.None, CultureInfo.InvariantCulture, out var w) ||
            !int.TryParse(Token(ppm), NumberStyles.None, CultureInfo.InvariantCulture, out var h) ||
            Token(ppm) != "255" || w <= 0 || h <= 0)
            return null;
        pos++; // the single whitespace byte after maxval
        var size = (long)w * h * 3;
        if (pos + size > ppm.Length) return null;
        return new RgbImage(w, h, ppm.Slice(pos, (int)size).ToArray());
    }

    /// <summary>
    /// Bilinear sample of the rectangle (x, y, w, h) into a dstW x dstH planar tensor, BGR channel order (as PaddleOCR
    /// models were trained on OpenCV images), each value mapped through (v / 255 - mean[c]) / std[c].
    /// </summary>
    public void SampleInto(Span<float> dst, int dstStride, int dstW, int dstH, double x, double y, double w, double h,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        var plane = dstStride * dstH;
        var sx = w / dstW;
        var sy = h / dstH;
        for (var j = 0; j < dstH; j++)
        {
            var fy = Math.Clamp(y + (j + 0.5) * sy - 0.5, 0, Height - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, Height - 1);
            var ay = (float)(fy - y0);
            for (var i = 0; i < dstW; i++)
            {
                var fx = Math.Clamp(x + (i + 0.5) * sx - 0.5, 0, Width - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, Width - 1);
                var ax = (float)(fx - x0);
                int p00 = (y0 * Width + x0) * 3, p01 = (y0 * Width + x1) * 3, p10 = (y1 * Width + x0) * 3, p11 = (y1 * Width + x1) * 3;
                for (var c = 0; c < 3; c++)
                {
                    var rgb = 2 - c; // BGR
                    var top = Pixels[p00 + rgb] + (Pixels[p01 + rgb] - Pixels[p00 + rgb]) * ax;
                    var bottom = Pixels[p10 + rgb] + (Pixels[p11 + rgb] - Pixels[p10 + rgb]) * ax;
                    var v = (top + (bottom - top) * ay) / 255f;
                    dst[c * plane + j * dstStride + i] = (v - mean[c]) / std[c];
                }
            }
        }
    }
}
