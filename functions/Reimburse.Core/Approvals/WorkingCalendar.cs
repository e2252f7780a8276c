namespace Reimburse.Core.Approvals;

/// <summary>
/// Company working time: a fixed UTC offset, working weekdays, daily opening hours and public holidays.
/// Reminder and escalation delays are measured in this working time, never in wall-clock time.
/// </summary>
/// <remarks>
/// A fixed offset instead of a TimeZoneInfo id keeps Core free of the host's tz database; Hong Kong has had
/// no daylight saving since 1979, so "+08:00" is exact there.
/// </remarks>
public sealed class WorkingCalendar
{
    // Ten years of consecutive non-working days means a broken calendar, not a long holiday.
    private const int MaxDaysScanned = 3660;

    /// <param name="makeUpWorkingDays">Days off by weekday that are working days all the same (mainland China's 调休
    /// make-up days: a Saturday or Sunday worked in exchange for a longer holiday). A date that is both wins as a holiday.</param>
    public WorkingCalendar(TimeSpan utcOffset, IEnumerable<DayOfWeek> workDays, TimeOnly opens, TimeOnly closes, IEnumerable<DateOnly> holidays,
        IEnumerable<DateOnly>? makeUpWorkingDays = null)
    {
        if (utcOffset < TimeSpan.FromHours(-14) || utcOffset > TimeSpan.FromHours(14) || utcOffset.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(utcOffset), utcOffset, "UTC offset must be whole minutes within ±14:00.");
        }
        if (opens >= closes)
        {
            throw new ArgumentException($"Opening time {opens} must be before closing time {closes}.", nameof(closes));
        }
        UtcOffset = utcOffset;
        WorkDays = new HashSet<DayOfWeek>(workDays);
        if (WorkDays.Count == 0)
        {
            throw new ArgumentException("At least one working weekday is required.", nameof(workDays));
        }
        Opens = opens;
        Closes = closes;
        Holidays = new HashSet<DateOnly>(holidays);
        MakeUpWorkingDays = new HashSet<DateOnly>(makeUpWorkingDays ?? []);
    }

    /// <summary>Hong Kong office hours (Mon–Fri 09:00–18:00, +08:00) with the given holidays.</summary>
    public static WorkingCalendar HongKongOffice(IEnumerable<DateOnly> holidays) => new(
        TimeSpan.FromHours(8),
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday],
        new TimeOnly(9, 0),
        new TimeOnly(18, 0),
        holidays);

    public TimeSpan UtcOffset { get; }

    public IReadOnlySet<DayOfWeek> WorkDays { get; }

    public TimeOnly Opens { get; }

    public TimeOnly Closes { get; }

    public IReadOnlySet<DateOnly> Holidays { get; }

    /// <summary>Non-working weekdays that are worked this year (调休 make-up working days).</summary>
    public IReadOnlySet<DateOnly> MakeUpWorkingDays { get; }

    /// <summary>Length of one working day; "1 working day" in the policy means this much working time.</summary>
    public TimeSpan WorkingDayLength => Closes - Opens;

    /// <summary>The instant expressed at the company's offset.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset instant) => instant.ToOffset(UtcOffset);

    /// <summary>The company-local calendar date of an instant.</summary>
    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(ToLocal(instant).DateTime);

    public bool IsWorkingDay(DateOnly date) => (WorkDays.Contains(date.DayOfWeek) || MakeUpWorkingDays.Contains(date)) && !Holidays.Contains(date);

    /// <summary>True when the instant falls on a working day within [opens, closes).</summary>
    public bool IsWorkingTime(DateTimeOffset instant)
    {
        var local = ToLocal(instant);
        var time = TimeOnly.FromDateTime(local.DateTime);
        return IsWorkingDay(DateOnly.FromDateTime(local.DateTime)) && time >= Opens && time < Closes;
    }

    /// <summary>The instant itself if it is working time, otherwise the next opening.</summary>
    public DateTimeOffset NextWorkingStart(DateTimeOffset instant) => AddWorkingTime(instant, TimeSpan.Zero);

    /// <summary>
    /// Adds working time: counting starts at <paramref name="start"/>, or at the next opening when it is out of
    /// hours, and skips nights, weekends and holidays. A result that lands exactly on closing time stays there.
    /// </summary>
    public DateTimeOffset AddWorkingTime(DateTimeOffset start, TimeSpan amount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, TimeSpan.Zero);
        var local = ToLocal(start);
        var date = DateOnly.FromDateTime(local.DateTime);
        var timeOfDay = local.TimeOfDay;
        var remaining = amount;
        var daysWithoutWork = 0;
        while (daysWithoutWork < MaxDaysScanned)
        {
            if (IsWorkingDay(date) && timeOfDay < Closes.ToTimeSpan())
            {
                daysWithoutWork = 0;
                var from = timeOfDay < Opens.ToTimeSpan() ? Opens.ToTimeSpan() : timeOfDay;
                var available = Closes.ToTimeSpan() - from;
                if (remaining <= available)
                {
                    return At(date, from + remaining);
                }
                remaining -= available;
            }
            else
            {
                daysWithoutWork++;
            }
            date = date.AddDays(1);
            timeOfDay = TimeSpan.Zero;
        }
        throw new InvalidOperationException("The calendar has no working time in the scanned range.");
    }

    /// <summary>Adds whole working hours.</summary>
    public DateTimeOffset AddWorkingHours(DateTimeOffset start, int hours) => AddWorkingTime(start, TimeSpan.FromHours(hours));

    /// <summary>Adds working days, each <see cref="WorkingDayLength"/> of working time (Fri 15:00 + 1 day = Mon 15:00).</summary>
    public DateTimeOffset AddWorkingDays(DateTimeOffset start, int days) => AddWorkingTime(start, WorkingDayLength * days);

    /// <summary>Working time elapsed between two instants (zero if <paramref name="to"/> is not after <paramref name="from"/>).</summary>
    public TimeSpan WorkingTimeBetween(DateTimeOffset from, DateTimeOffset to)
    {
        var total = TimeSpan.Zero;
        var cursor = ToLocal(from);
        var end = ToLocal(to);
        while (cursor < end)
        {
            var date = DateOnly.FromDateTime(cursor.DateTime);
            if (IsWorkingDay(date))
            {
                var open = At(date, Opens.ToTimeSpan());
                var close = At(date, Closes.ToTimeSpan());
                var a = cursor > open ? cursor : open;
                var b = end < close ? end : close;
                if (b > a)
                {
                    total += b - a;
                }
            }
            cursor = At(date.AddDays(1), TimeSpan.Zero);
        }
        return total;
    }

    private DateTimeOffset At(DateOnly date, TimeSpan timeOfDay) =>
        new(date.ToDateTime(TimeOnly.MinValue) + timeOfDay, UtcOffset);
}
