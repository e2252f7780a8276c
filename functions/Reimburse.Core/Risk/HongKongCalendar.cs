namespace Reimburse.Core.Risk;

/// <summary>Hong Kong general holidays and Lunar New Year dates, 2024–2027 (from the gazetted lists).</summary>
public static class HongKongCalendar
{
    /// <summary>First day of the Lunar New Year by Gregorian year.</summary>
    public static readonly IReadOnlyDictionary<int, DateOnly> LunarNewYear = new Dictionary<int, DateOnly>
    {
        [2023] = new(2023, 1, 22),
        [2024] = new(2024, 2, 10),
        [2025] = new(2025, 1, 29),
        [2026] = new(2026, 2, 17),
        [2027] = new(2027, 2, 6),
        [2028] = new(2028, 1, 26),
    };

    /// <summary>General holidays (weekday substitutes included where gazetted).</summary>
    public static readonly IReadOnlySet<DateOnly> PublicHolidays = new HashSet<DateOnly>(
    [
        // 2024
        new(2024, 1, 1), new(2024, 2, 10), new(2024, 2, 12), new(2024, 2, 13), new(2024, 3, 29), new(2024, 3, 30),
        new(2024, 4, 1), new(2024, 4, 4), new(2024, 5, 1), new(2024, 5, 15), new(2024, 6, 10), new(2024, 7, 1),
        new(2024, 9, 18), new(2024, 10, 1), new(2024, 10, 11), new(2024, 12, 25), new(2024, 12, 26),
        // 2025
        new(2025, 1, 1), new(2025, 1, 29), new(2025, 1, 30), new(2025, 1, 31), new(2025, 4, 4), new(2025, 4, 18),
        new(2025, 4, 19), new(2025, 4, 21), new(2025, 5, 1), new(2025, 5, 5), new(2025, 5, 31), new(2025, 7, 1),
        new(2025, 10, 1), new(2025, 10, 7), new(2025, 10, 29), new(2025, 12, 25), new(2025, 12, 26),
        // 2026
        new(2026, 1, 1), new(2026, 2, 17), new(2026, 2, 18), new(2026, 2, 19), new(2026, 4, 3), new(2026, 4, 4),
        new(2026, 4, 6), new(2026, 4, 7), new(2026, 5, 1), new(2026, 5, 25), new(2026, 6, 19), new(2026, 7, 1),
        new(2026, 9, 26), new(2026, 10, 1), new(2026, 10, 19), new(2026, 12, 25), new(2026, 12, 26),
        // 2027
        new(2027, 1, 1), new(2027, 2, 6), new(2027, 2, 8), new(2027, 2, 9), new(2027, 3, 26), new(2027, 3, 27),
        new(2027, 3, 29), new(2027, 4, 5), new(2027, 5, 1), new(2027, 5, 13), new(2027, 6, 9), new(2027, 7, 1),
        new(2027, 9, 16), new(2027, 10, 1), new(2027, 10, 8), new(2027, 12, 25), new(2027, 12, 27),
    ]);

    /// <summary>Saturday or Sunday.</summary>
    public static bool IsWeekend(DateOnly date) => date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
}
