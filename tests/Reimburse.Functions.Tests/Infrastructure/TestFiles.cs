namespace Reimburse.Tests.Infrastructure;

/// <summary>Small well-formed (and deliberately broken) receipt files made in code, so tests need no fixtures on disk.</summary>
public static class TestFiles
{
    /// <summary>A valid 1×1 PNG; <paramref name="seed"/> changes a pixel so different seeds are different files.</summary>
    public static byte[] Png(byte seed = 0)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(ms, "IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        var raw = new byte[] { 0, seed, 0x80, 0x40 };
        using (var z = new MemoryStream())
        {
            using (var zl = new System.IO.Compression.ZLibStream(z, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            {
                zl.Write(raw);
            }
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A minimal JPEG-shaped file: SOI … EOI (enough for signature and truncation checks).</summary>
    public static byte[] Jpeg(int size = 2048)
    {
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        bytes[0] = 0xFF; bytes[1] = 0xD8; bytes[2] = 0xFF; bytes[3] = 0xE0;
        bytes[^2] = 0xFF; bytes[^1] = 0xD9;
        return bytes;
    }

    public static byte[] Pdf(string text = "Receipt") =>
        System.Text.Encoding.ASCII.GetBytes($"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% {text}\ntrailer<</Root 1 0 R>>\n%%EOF\n");

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = System.IO.Hashing.Crc32Shim.Compute([.. typeBytes, .. data]);
        var crcBytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        s.Write(crcBytes);
    }
}
