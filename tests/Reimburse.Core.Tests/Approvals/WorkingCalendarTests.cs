using Reimburse.Core.Approvals;
using static Reimburse.Core.Tests.Approvals.Harbour;

namespace Reimburse.Core.Tests.Approvals;

public sealed class WorkingCalendarTests
{
    private static readonly WorkingCalendar Cal = Harbour.Calendar;

    [Fact]
    public void AddWorkingTime_WithinTheDay_AddsWallClockTime() =>
        Assert.Equal(Hkt(2026, 3, 2, 14), Cal.AddWorkingHours(Hkt(2026, 3, 2, 10), 4));

    [Fact]
    public void AddWorkingTime_PastClosing_ContinuesNextMorning() =>
        Assert.Equal(Hkt(2026, 3, 3, 11), Cal.AddWorkingHours(Hkt(2026, 3, 2, 16), 4));

    [Fact]
    public void AddWorkingTime_LandingOnClosing_StaysOnThatDay() =>
        Assert.Equal(Hkt(2026, 3, 2, 18), Cal.AddWorkingHours(Hkt(2026, 3, 2, 14), 4));

    [Fact]
    public void AddWorkingTime_FridayAfternoon_SkipsTheWeekend() =>
        Assert.Equal(Hkt(2026, 3, 9, 11), Cal.AddWorkingHours(Hkt(2026, 3, 6, 16), 4));

    [Fact]
    public void AddWorkingTime_BeforeEasterHolidays_SkipsHolidaysAndWeekend()
    {
        // Thu 2 Apr 2026; Fri 3, Mon 6 and Tue 7 are public holidays, 4–5 the weekend.
        Assert.Equal(Hkt(2026, 4, 8, 11), Cal.AddWorkingHours(Hkt(2026, 4, 2, 16), 4));
    }

    [Fact]
    public void AddWorkingTime_StartAtNight_CountsFromNextOpening() =>
        Assert.Equal(Hkt(2026, 3, 4, 13), Cal.AddWorkingHours(Hkt(2026, 3, 3, 22), 4));

    [Fact]
    public void AddWorkingTime_StartBeforeOpening_CountsFromOpening() =>
        Assert.Equal(Hkt(2026, 3, 3, 13), Cal.AddWorkingHours(Hkt(2026, 3, 3, 7), 4));

    [Fact]
    public void AddWorkingTime_StartOnSaturday_CountsFromMonday() =>
        Assert.Equal(Hkt(2026, 3, 9, 13), Cal.AddWorkingHours(Hkt(2026, 3, 7, 11), 4));

    [Fact]
    public void AddWorkingTime_StartOnHoliday_CountsFromNextWorkingDay() =>
        Assert.Equal(Hkt(2026, 5, 4, 10), Cal.AddWorkingHours(Hkt(2026, 5, 1, 12), 1));

    [Fact]
    public void AddWorkingTime_UtcInput_UsesCompanyOffset()
    {
        // 01:00 UTC is 09:00 in Hong Kong.
        var start = new DateTimeOffset(2026, 3, 2, 1, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 3, 0, 0, TimeSpan.Zero), Cal.AddWorkingHours(start, 2));
    }

    [Fact]
    public void AddWorkingTime_Zero_OutOfHoursMovesToOpening() =>
        Assert.Equal(Hkt(2026, 3, 9, 9), Cal.AddWorkingTime(Hkt(2026, 3, 6, 18), TimeSpan.Zero));

    [Fact]
    public void AddWorkingTime_NegativeAmount_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Cal.AddWorkingTime(Hkt(2026, 3, 2, 10), TimeSpan.FromHours(-1)));

    [Fact]
    public void AddWorkingDays_OneDayFromFriday_IsMondaySameTime() =>
        Assert.Equal(Hkt(2026, 3, 9, 15), Cal.AddWorkingDays(Hkt(2026, 3, 6, 15), 1));

    [Fact]
    public void AddWorkingDays_ThreeDaysAcrossEaster_SkipsFiveNonWorkingDays() =>
        Assert.Equal(Hkt(2026, 4, 9, 10), Cal.AddWorkingDays(Hkt(2026, 4, 1, 10), 3));

    [Theory]
    [InlineData(9, 0, true)]
    [InlineData(17, 59, true)]
    [InlineData(18, 0, false)]
    [InlineData(8, 59, false)]
    public void IsWorkingTime_AtDayBoundaries_OpensInclusiveClosesExclusive(int hour, int minute, bool expected) =>
        Assert.Equal(expected, Cal.IsWorkingTime(Hkt(2026, 3, 2, hour, minute)));

    [Fact]
    public void IsWorkingTime_PublicHolidayMorning_IsFalse() =>
        Assert.False(Cal.IsWorkingTime(Hkt(2026, 12, 25, 10)));

    [Fact]
    public void LocalDate_LateUtcEvening_IsNextDayInHongKong() =>
        Assert.Equal(new DateOnly(2026, 3, 3), Cal.LocalDate(new DateTimeOffset(2026, 3, 2, 17, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void WorkingTimeBetween_InverseOfAddWorkingTime_ForManyStartsAndDurations()
    {
        var start = Hkt(2026, 3, 30, 0);
        for (var step = 0; step < 24 * 14; step += 5)
        {
            var from = start.AddHours(step);
            foreach (var hours in new[] { 0, 1, 4, 9, 13, 30 })
            {
                var amount = TimeSpan.FromHours(hours);
                var due = Cal.AddWorkingTime(from, amount);
                Assert.Equal(amount, Cal.WorkingTimeBetween(from, due));
            }
        }
    }

    [Fact]
    public void Constructor_OpeningNotBeforeClosing_Throws() =>
        Assert.Throws<ArgumentException>(() => new WorkingCalendar(TimeSpan.FromHours(8), [DayOfWeek.Monday], new TimeOnly(18, 0), new TimeOnly(9, 0), []));
}
