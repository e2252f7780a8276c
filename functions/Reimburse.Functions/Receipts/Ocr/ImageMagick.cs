namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>Resource limits for every ImageMagick call, both as -limit arguments and MAGICK_* variables.</summary>
internal static class ImageMagick
{
    public static string[] LimitArguments(OcrOptions o) =>
    [
        "-limit", "memory", $"{o.MemoryLimitMegabytes / 4}MiB",
        "-limit", "map", $"{o.MemoryLimitMegabytes / 2}MiB",
        "-limit", "area", $"{o.MaxMegapixels}MP",
        "-limit", "disk", "1GiB",
        "-limit", "time", $"{o.ToolTimeoutSeconds}",
        "-limit", "thread", "1",
    ];

    public static IReadOnlyDictionary<string, string> Environment(OcrOptions o) => new Dictionary<string, string>
    {
        ["MAGICK_MEMORY_LIMIT"] = $"{o.MemoryLimitMegabytes / 4}MiB",
        ["MAGICK_MAP_LIMIT"] = $"{o.MemoryLimitMegabytes / 2}MiB",
        ["MAGICK_AREA_LIMIT"] = $"{o.MaxMegapixels}MP",
        ["MAGICK_DISK_LIMIT"] = "1GiB",
        ["MAGICK_TIME_LIMIT"] = $"{o.ToolTimeoutSeconds}",
        ["MAGICK_THREAD_LIMIT"] = "1",
        ["MAGICK_WIDTH_LIMIT"] = "20000",
        ["MAGICK_HEIGHT_LIMIT"] = "20000",
    };
}
