using Ical.Net.CalendarComponents;
using IcalCalendar = Ical.Net.Calendar;

namespace Reimburse.Functions.Approvals;

/// <summary>Days off and make-up working days read from an iCalendar file.</summary>
/// <param name="Errors">Problems, each naming the event; the lists hold what could be read.</param>
public sealed record IcsDays(IReadOnlyList<DateOnly> Holidays, IReadOnlyList<DateOnly> MakeUpWorkingDays, IReadOnlyList<string> Errors);

/// <summary>
/// Office calendars from iCalendar (RFC 5545) files, parsed with Ical.Net. Each all-day VEVENT is a holiday for every date
/// from DTSTART up to (not including) DTEND — the shape of the Hong Kong government's general-holiday feed. An event with
/// <c>CATEGORIES:WORKDAY</c> is the opposite: a make-up working day (调休), a Saturday or Sunday that is worked.
/// </summary>
public static class OfficeCalendars
{
    public const string WorkdayCategory = "WORKDAY";

    /// <summary>The folder shipped with the app that holds the seed calendars (seed/calendars).</summary>
    public static string ShippedFolder => Path.Combine(AppContext.BaseDirectory, "seed", "calendars");

    /// <summary>Reads a shipped calendar by file name (no folders: a policy cannot name a file outside seed/calendars).</summary>
    public static string? ReadShipped(string fileName)
    {
        if (fileName.Length == 0 || fileName != Path.GetFileName(fileName) || !fileName.EndsWith(".ics", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var path = Path.Combine(ShippedFolder, fileName);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public static IcsDays Parse(string ics)
    {
        IcalCalendar? calendar;
        try
        {
            calendar = IcalCalendar.Load(ics);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new IcsDays([], [], [$"not an iCalendar file: {ex.Message}"]);
        }
        if (calendar is null)
        {
            return new IcsDays([], [], ["not an iCalendar file (no VCALENDAR)."]);
        }
        var holidays = new SortedSet<DateOnly>();
        var workdays = new SortedSet<DateOnly>();
        var errors = new List<string>();
        foreach (CalendarEvent e in calendar.Events)
        {
            var name = e.Summary ?? e.Uid ?? "?";
            if (e.DtStart is not { } start)
            {
                errors.Add($"event '{name}' has no DTSTART.");
                continue;
            }
            if (start.HasTime)
            {
                errors.Add($"event '{name}' is not an all-day event (DTSTART;VALUE=DATE).");
                continue;
            }
            var first = start.Date;
            var end = e.DtEnd is { } dtEnd ? dtEnd.Date : first.AddDays(1);
            if (end <= first || end.DayNumber - first.DayNumber > 31)
            {
                errors.Add($"event '{name}' must last 1 to 31 days.");
                continue;
            }
            var target = e.Categories.Any(c => string.Equals(c, WorkdayCategory, StringComparison.OrdinalIgnoreCase)) ? workdays : holidays;
            for (var d = first; d < end; d = d.AddDays(1))
            {
                target.Add(d);
            }
        }
        foreach (var both in holidays.Intersect(workdays))
        {
            errors.Add($"{both:yyyy-MM-dd} is both a holiday and a make-up working day.");
        }
        return new IcsDays([.. holidays], [.. workdays], errors);
    }
}
