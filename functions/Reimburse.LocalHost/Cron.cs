namespace Reimburse.LocalHost;

/// <summary>Six-field NCRONTAB as the Functions timer trigger uses: second minute hour day month day-of-week (UTC).
/// Supports *, numbers, lists, ranges and steps.</summary>
public sealed class Cron
{
    private readonly bool[] _seconds, _minutes, _hours, _days, _months, _weekdays;

    private Cron(bool[] s, bool[] m, bool[] h, bool[] d, bool[] mo, bool[] w) => (_seconds, _minutes, _hours, _days, _months, _weekdays) = (s, m, h, d, mo, w);

    public static Cron Parse(string expression)
    {
        var parts = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 6)
        {
            throw new FormatException($"'{expression}' must have six fields: second minute hour day month day-of-week.");
        }
        return new Cron(Field(parts[0], 0, 59), Field(parts[1], 0, 59), Field(parts[2], 0, 23), Field(parts[3], 1, 31), Field(parts[4], 1, 12), Field(parts[5].Replace('7', '0'), 0, 6));
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        var t = new DateTime(after.UtcTicks - after.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(1);
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!_months[t.Month]) { t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1); continue; }
            if (!_days[t.Day] || !_weekdays[(int)t.DayOfWeek]) { t = t.Date.AddDays(1); continue; }
            if (!_hours[t.Hour]) { t = t.Date.AddHours(t.Hour + 1); continue; }
            if (!_minutes[t.Minute]) { t = t.Date.AddHours(t.Hour).AddMinutes(t.Minute + 1); continue; }
            if (!_seconds[t.Second]) { t = t.AddSeconds(1); continue; }
            return new DateTimeOffset(t);
        }
        throw new InvalidOperationException("The schedule never fires.");
    }

    private static bool[] Field(string field, int min, int max)
    {
        var allowed = new bool[max + 1];
        foreach (var item in field.Split(','))
        {
            var (range, step) = item.Split('/') is var p && p.Length == 2 ? (p[0], int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)) : (item, 1);
            if (step <= 0) throw new FormatException($"Bad step in '{field}'.");
            int lo, hi;
            if (range == "*") (lo, hi) = (min, max);
            else if (range.Contains('-')) { var r = range.Split('-'); (lo, hi) = (int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture)); }
            else { lo = int.Parse(range, System.Globalization.CultureInfo.InvariantCulture); hi = item.Contains('/') ? max : lo; }
            if (lo < min || hi > max || lo > hi) throw new FormatException($"'{field}' is out of range {min}-{max}.");
            for (var v = lo; v <= hi; v += step) allowed[v] = true;
        }
        return allowed;
    }
}
