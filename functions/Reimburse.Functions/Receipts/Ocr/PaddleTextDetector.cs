namespace Reimburse.Functions.Receipts.Ocr;

/// <summary>
/// Post-processing of a DB (differentiable binarisation) text-probability map, as PaddleOCR's DBPostProcess does it
/// for upright text: threshold, connected regions, mean-probability score, then "unclip" (grow each shrunk region by
/// area x ratio / perimeter). Regions are kept axis-aligned: receipts are photographed or scanned roughly upright, and
/// the recogniser copes with a few degrees of skew.
/// </summary>
internal static class PaddleTextDetector
{
    /// <summary>A detected text region in map pixels.</summary>
    internal readonly record struct Region(double Left, double Top, double Right, double Bottom, double Score);

    public static List<Region> FindRegions(ReadOnlySpan<float> probability, int width, int height,
        float threshold = 0.3f, float boxThreshold = 0.6f, double unclipRatio = 1.5, int maxRegions = 1000)
    {
        var regions = new List<Region>();
        var label = new int[width * height];
        var stack = new Stack<int>();
        var next = 0;
        for (var start = 0; start < label.Length && regions.Count < maxRegions; start++)
        {
            if (label[start] != 0 || probability[start] <= threshold) continue;
            next++;
            int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1, count = 0;
            double sum = 0;
            label[start] = next;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                int x = p % width, y = p / width;
                count++;
                sum += probability[p];
                if (x < minX) minX = x;
                if (x > maxX) maxX = x;
                if (y < minY) minY = y;
                if (y > maxY) maxY = y;
                for (var dy = -1; dy <= 1; dy++)
                {
                    var ny = y + dy;
                    if (ny < 0 || ny >= height) continue;
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var nx = x + dx;
                        if (nx < 0 || nx >= width) continue;
                        var q = ny * width + nx;
                        if (label[q] != 0 || probability[q] <= threshold) continue;
                        label[q] = next;
                        stack.Push(q);
                    }
                }
            }

            double w = maxX - minX + 1, h = maxY - minY + 1;
            if (Math.Min(w, h) < 3) continue;
            var score = sum / count;
            if (score < boxThreshold) continue;
            // The model predicts text kernels shrunk by area(1 - 0.4^2)/perimeter; grow them back.
            var d = w * h * unclipRatio / (2 * (w + h));
            var region = new Region(minX - d, minY - d, maxX + 1 + d, maxY + 1 + d, score);
            if (Math.Min(region.Right - region.Left, region.Bottom - region.Top) < 5) continue;
            regions.Add(region with
            {
                Left = Math.Max(0, region.Left),
                Top = Math.Max(0, region.Top),
                Right = Math.Min(width, region.Right),
                Bottom = Math.Min(height, region.Bottom),
            });
        }
        return regions;
    }
}
