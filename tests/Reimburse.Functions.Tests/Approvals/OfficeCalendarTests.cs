using Reimburse.Core;
using Reimburse.Core.Approvals;
using Reimburse.Core.Company;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Company;

namespace Reimburse.Functions.Tests.Approvals;

/// <summary>Offices, their iCalendar calendars (the shipped seed/calendars files, read with Ical.Net) and the reach
/// ladder as the policy loader reads them.</summary>
public sealed class OfficeCalendarTests
{
    private static readonly CompanyDirectory Company = CompanyLoader.Parse(File.ReadAllText(Path.Combine(SeedFiles.Directory, "company.yaml")));

    private static string Calendars => Path.Combine(SeedFiles.Directory, "..", "calendars");

    private static string? ReadSeedCalendar(string name) => File.Exists(Path.Combine(Calendars, name)) ? File.ReadAllText(Path.Combine(Calendars, name)) : null;

    private static ApprovalPolicy SeedPolicy() => PolicyLoader.Load(SeedFiles.PolicyYaml, Company, readCalendar: ReadSeedCalendar);

    private static IReadOnlyList<PolicyError> Errors(string yaml) => Assert.IsType<PolicyLoadResult>(PolicyLoader.Parse(yaml, Company, ReadSeedCalendar)).Errors;

    [Fact]
    public void SeedPolicy_ShenzhenOffice_MakeUpDaysWorkAndGoldenWeekDoesNot()
    {
        var shenzhen = SeedPolicy().Offices!["shenzhen"].Calendar;

        Assert.True(shenzhen.IsWorkingDay(new DateOnly(2026, 10, 10)));   // Sat, 国庆节调休上班
        Assert.True(shenzhen.IsWorkingDay(new DateOnly(2026, 9, 20)));    // Sun, 国庆节调休上班
        Assert.True(shenzhen.IsWorkingDay(new DateOnly(2025, 2, 8)));     // Sat, 春节调休上班
        Assert.All(Enumerable.Range(1, 7), d => Assert.False(shenzhen.IsWorkingDay(new DateOnly(2026, 10, d))));
        Assert.False(shenzhen.IsWorkingDay(new DateOnly(2026, 2, 23)));   // Mon, last day of the 2026 Spring Festival
        Assert.True(shenzhen.IsWorkingDay(new DateOnly(2026, 12, 25)));   // Christmas is a working day on the mainland
    }

    [Fact]
    public void SeedPolicy_HongKongOffice_GeneralHolidaysAndNoMakeUpDays()
    {
        var hongKong = SeedPolicy().Offices!["causeway-bay"].Calendar;

        Assert.False(hongKong.IsWorkingDay(new DateOnly(2026, 10, 10)));  // Sat
        Assert.True(hongKong.IsWorkingDay(new DateOnly(2026, 10, 2)));
        Assert.False(hongKong.IsWorkingDay(new DateOnly(2026, 12, 25)));
        Assert.False(hongKong.IsWorkingDay(new DateOnly(2027, 3, 29)));   // Easter Monday 2027
        Assert.Empty(hongKong.MakeUpWorkingDays);
        // The iCalendar file and the policy's own list agree.
        Assert.Equal(SeedPolicy().Calendar.Holidays.Order(), hongKong.Holidays.Order());
    }

    [Fact]
    public void SeedPolicy_Ladder_DefaultFinanceAndUrgentRungs()
    {
        var reach = SeedPolicy().Reach!;

        Assert.Equal([(ReachChannel.Sms, TimeSpan.FromMinutes(30)), (ReachChannel.Call, TimeSpan.FromHours(1))], reach.For("line-manager", urgent: false).Select(r => (r.Channel, r.After)));
        Assert.Equal(TimeSpan.FromHours(1), reach.For("finance", urgent: false)[0].After);
        Assert.Equal(TimeSpan.FromMinutes(5), reach.For("finance", urgent: true)[0].After);
        Assert.Equal(6, reach.DailyCapPerApprover);
    }

    [Fact]
    public void SeedPolicy_RoutePlanned_CarriesTheLadderPerStep()
    {
        var policy = SeedPolicy();
        var plan = Assert.IsType<RoutePlanned>(RoutePlanner.Plan(policy, Company,
            new RouteRequest("emp-chan", "emp-chan", Money.Hkd(200), "meals", new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(8)))));

        Assert.Equal([TimeSpan.FromMinutes(30), TimeSpan.FromHours(1)], plan.Route.Steps[0].Ladder!.Select(r => r.After));
        Assert.Equal(6, plan.Route.ReachDailyCap);
    }

    [Fact]
    public void Parse_CalendarFileMissing_ErrorWithLine()
    {
        var yaml = SeedFiles.PolicyYaml.Replace("calendar: shenzhen.ics", "calendar: guangzhou.ics", StringComparison.Ordinal);

        var error = Assert.Single(Errors(yaml));
        Assert.Contains("guangzhou.ics", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 1);
    }

    [Fact]
    public void Parse_CalendarWithTimedEvent_ErrorNamesTheEvent()
    {
        const string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20260101T000000Z\r\n"
            + "DTSTART:20261001T090000Z\r\nDTEND:20261001T100000Z\r\nSUMMARY:Board meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

        var days = OfficeCalendars.Parse(ics);

        Assert.Contains(days.Errors, e => e.Contains("Board meeting", StringComparison.Ordinal));
        Assert.Empty(days.Holidays);
    }

    [Fact]
    public void Parse_BadLadder_EveryProblemListed()
    {
        var yaml = SeedFiles.PolicyYaml
            .Replace("- { channel: sms, after: 30m }", "- { channel: fax, after: 30m }", StringComparison.Ordinal)
            .Replace("- { channel: sms, after: 5m }\n    - { channel: call, after: 15m }", "- { channel: sms, after: 15m }\n    - { channel: call, after: 5m }", StringComparison.Ordinal)
            .Replace("dailyCapPerApprover: 6", "dailyCapPerApprover: 0", StringComparison.Ordinal)
            .Replace("    finance:\n      - { channel: sms, after: 1h }", "    treasury:\n      - { channel: sms, after: 1h }", StringComparison.Ordinal);

        var messages = Errors(yaml).Select(e => e.Message).ToList();

        Assert.Contains(messages, m => m.Contains("fax", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("must come later", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("dailyCapPerApprover", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("treasury", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_UserInAnUnlistedOffice_Error()
    {
        var yaml = SeedFiles.PolicyYaml.Replace("  - { id: shenzhen, name: Shenzhen head office, timeZone: Asia/Shanghai, calendar: shenzhen.ics }\n", "", StringComparison.Ordinal);

        Assert.Contains(Errors(yaml), e => e.Message.Contains("office 'shenzhen'", StringComparison.Ordinal));
    }

    [Fact]
    public void CompanyLoader_BadPhone_Refused()
    {
        var yaml = File.ReadAllText(Path.Combine(SeedFiles.Directory, "company.yaml")).Replace("\"+85291230004\"", "\"9123 0004\"", StringComparison.Ordinal);

        var ex = Assert.Throws<CompanyConfigException>(() => CompanyLoader.Parse(yaml));
        Assert.Contains("E.164", ex.Message, StringComparison.Ordinal);
    }
}
