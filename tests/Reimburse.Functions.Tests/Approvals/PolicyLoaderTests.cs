using Reimburse.Core;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Approvals;

namespace Reimburse.Functions.Tests.Approvals;

public sealed class PolicyLoaderTests
{
    private static readonly DateTimeOffset TuesdayMorning = new(2026, 3, 3, 10, 0, 0, TimeSpan.FromHours(8));

    /// <summary>1-based number of the first line containing <paramref name="fragment"/>.</summary>
    private static int LineOf(string yaml, string fragment)
    {
        var lines = yaml.Split('\n');
        var index = Array.FindIndex(lines, l => l.Contains(fragment, StringComparison.Ordinal));
        Assert.True(index >= 0, $"'{fragment}' not in the YAML");
        return index + 1;
    }

    /// <summary>The seeded policy with one fragment replaced (which must occur).</summary>
    private static string SeedWith(string fragment, string replacement)
    {
        var yaml = SeedFiles.PolicyYaml;
        Assert.Contains(fragment, yaml, StringComparison.Ordinal);
        return yaml.Replace(fragment, replacement, StringComparison.Ordinal);
    }

    private static IReadOnlyList<PolicyError> Errors(string yaml)
    {
        var result = PolicyLoader.Parse(yaml, SeedFiles.Company);
        Assert.False(result.Succeeded, "expected the policy to be rejected");
        return result.Errors;
    }

    private static PolicyError SingleError(string yaml) => Assert.Single(Errors(yaml));

    [Fact]
    public void Parse_SeededPolicy_LoadsWithoutErrors()
    {
        var result = PolicyLoader.Parse(SeedFiles.PolicyYaml, SeedFiles.Company);

        Assert.Empty(result.Errors);
        Assert.NotNull(result.Policy);
    }

    [Fact]
    public void Load_SeededPolicy_DemoClaimNeedsManagerThenHeadThenBothFinanceOfficers()
    {
        var policy = PolicyLoader.Load(SeedFiles.PolicyYaml, SeedFiles.Company);

        var planned = RoutePlanner.Plan(policy, SeedFiles.Company, new RouteRequest("emp-chan", "emp-chan", Money.Hkd(6200), "client-entertainment", TuesdayMorning));

        var route = Assert.IsType<RoutePlanned>(planned).Route;
        Assert.Equal(
            [["mgr-wong"], ["head-ho"], ["fin-lam", "fin-cheung"]],
            route.Steps.Select(s => s.Slots.Select(slot => string.Join("|", slot.Approvers)).ToArray()).ToArray());
    }

    [Fact]
    public void Load_SeededPolicy_ReminderThenEscalationInWorkingHours()
    {
        var policy = PolicyLoader.Load(SeedFiles.PolicyYaml, SeedFiles.Company);

        Assert.Equal((TimeSpan.FromHours(4), policy.Calendar.WorkingDayLength), (policy.Timers.ReminderAfter, policy.Timers.EscalateAfter));
        Assert.Equal((TimeSpan.FromHours(8), new TimeOnly(9, 0), new TimeOnly(18, 0)), (policy.Calendar.UtcOffset, policy.Calendar.Opens, policy.Calendar.Closes));
    }

    [Theory]
    [InlineData(2025)]
    [InlineData(2026)]
    [InlineData(2027)]
    public void Load_SeededPolicy_ListsHongKongHolidaysForYear(int year)
    {
        var policy = PolicyLoader.Load(SeedFiles.PolicyYaml, SeedFiles.Company);

        Assert.True(policy.Calendar.Holidays.Count(d => d.Year == year) >= 15);
        Assert.Contains(new DateOnly(year, 10, 1), policy.Calendar.Holidays);
    }

    [Fact]
    public void Load_SeededPolicy_OffHoursGoToDutySupervisorAndDelegationsLoad()
    {
        var policy = PolicyLoader.Load(SeedFiles.PolicyYaml, SeedFiles.Company);

        Assert.Equal("duty-ng", policy.OffHours?.DutySupervisor);
        Assert.Contains(policy.Delegations, d => d.From == "head-ho" && d.To == "mgr-lau");
    }

    [Fact]
    public void Parse_UnknownApprover_ErrorOnItsLine()
    {
        var yaml = SeedWith("users: [fin-lam, fin-cheung] }", "users: [fin-lam, fin-cheng] }");

        var error = SingleError(yaml);

        Assert.Equal(LineOf(yaml, "fin-cheng"), error.Line);
        Assert.Contains("Unknown user 'fin-cheng'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UserWithoutApproverRole_ErrorOnItsLine()
    {
        var yaml = SeedWith("dutySupervisor: duty-ng", "dutySupervisor: aud-yip");

        Assert.Equal(LineOf(yaml, "aud-yip"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_UnknownCategory_ErrorOnItsLine()
    {
        var yaml = SeedWith("when: { categories: [travel] }", "when: { categories: [travle] }");

        var error = SingleError(yaml);

        Assert.Equal(LineOf(yaml, "travle"), error.Line);
        Assert.Contains("travle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadClosingTime_ErrorOnItsLine()
    {
        var yaml = SeedWith("end: \"18:00\"", "end: \"25:00\"");

        Assert.Equal(LineOf(yaml, "25:00"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_ClosingBeforeOpening_ErrorOnEndLine()
    {
        var yaml = SeedWith("end: \"18:00\"", "end: \"08:00\"");

        Assert.Equal(LineOf(yaml, "end: \"08:00\""), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_BadUtcOffset_ErrorOnItsLine()
    {
        var yaml = SeedWith("utcOffset: \"+08:00\"", "utcOffset: Asia/Hong_Kong");

        Assert.Equal(LineOf(yaml, "utcOffset:"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_OverlappingRulesInLevel_ErrorNamesBothLines()
    {
        var yaml = SeedWith("{ amountOver: 3000, exceptCategories: [client-entertainment] }", "{ amountOver: 3000 }");

        var error = SingleError(yaml);

        Assert.Equal(LineOf(yaml, "amountOver: 1000, categories: [client-entertainment]"), error.Line);
        Assert.Contains($"line {LineOf(yaml, "when: { amountOver: 3000 }")}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AmountBandsThatTouchButDoNotOverlap_LoadClean() =>
        Assert.True(PolicyLoader.Parse(SeedFiles.PolicyYaml, SeedFiles.Company).Succeeded);

    [Fact]
    public void Parse_OverlappingAmountBands_ErrorOnSecondRule()
    {
        var yaml = SeedWith("when: { amountOver: 5000 }", "when: { amountOver: 4000 }");

        Assert.Equal(LineOf(yaml, "amountOver: 4000"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_InvertedAmountBand_Error()
    {
        var yaml = SeedWith("when: { amountUpTo: 5000 }", "when: { amountOver: 6000, amountUpTo: 5000 }");

        Assert.Contains(Errors(yaml), e => e.Line == LineOf(yaml, "amountOver: 6000") && e.Message.Contains("greater than", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MisspelledKey_ErrorOnItsLine()
    {
        var yaml = SeedWith("escalateAfter: 1d", "escalateAftr: 1d");

        Assert.Contains(Errors(yaml), e => e.Line == LineOf(yaml, "escalateAftr") && e.Message.Contains("Unknown key 'escalateAftr'", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_BadDuration_ErrorOnItsLine()
    {
        var yaml = SeedWith("reminderAfter: 4h", "reminderAfter: 4 weeks");

        Assert.Equal(LineOf(yaml, "4 weeks"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_ReminderNotBeforeEscalation_Error()
    {
        var yaml = SeedWith("reminderAfter: 4h", "reminderAfter: 2d");

        Assert.Equal(LineOf(yaml, "reminderAfter: 2d"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_DuplicateHoliday_ErrorNamesFirstLine()
    {
        var yaml = SeedWith("  - { date: 2025-12-26,", "  - { date: 2025-12-25,");

        var error = SingleError(yaml);

        Assert.Equal(LineOf(yaml, "name: The first weekday after Christmas Day }"), error.Line);
        Assert.Contains($"line {LineOf(yaml, "date: 2025-12-25")}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidHolidayDate_ErrorOnItsLine()
    {
        var yaml = SeedWith("date: 2026-02-17", "date: 2026-02-30");

        Assert.Equal(LineOf(yaml, "2026-02-30"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_DelegationEndingBeforeStart_ErrorOnItsLine()
    {
        var yaml = SeedWith("start: 2026-12-21, end: 2027-01-01", "start: 2026-12-21, end: 2026-12-01");

        Assert.Equal(LineOf(yaml, "from: head-ho, to: mgr-lau"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_UnknownMode_ErrorOnItsLine()
    {
        var yaml = SeedWith("        mode: allOf", "        mode: bothOf");

        Assert.Equal(LineOf(yaml, "bothOf"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_WrongCompany_Error()
    {
        var yaml = SeedWith("company: harbour", "company: kowloon");

        Assert.Equal(LineOf(yaml, "company: kowloon"), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_YamlSyntaxError_ReportsLine()
    {
        var yaml = SeedWith("  reminderAfter: 4h", "  reminderAfter: [4h");

        var error = SingleError(yaml);

        Assert.True(error.Line >= LineOf(yaml, "[4h"), $"line {error.Line}");
        Assert.StartsWith("YAML syntax", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadIndentation_ReportsLineOfTheBrokenMapping()
    {
        var yaml = SeedWith("  start: \"09:00\"", "    start: \"09:00\"");

        var error = SingleError(yaml);

        Assert.Equal(LineOf(yaml, "    start: \"09:00\""), error.Line);
        Assert.StartsWith("YAML syntax", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateKey_ReportsLine()
    {
        var yaml = SeedWith("  end: \"18:00\"", "  end: \"18:00\"\n  end: \"17:00\"");

        Assert.Equal(LineOf(yaml, "end: \"17:00\""), SingleError(yaml).Line);
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEveryOneInLineOrder()
    {
        var yaml = SeedWith("dutySupervisor: duty-ng", "dutySupervisor: duty-wu")
            .Replace("end: \"18:00\"", "end: \"6pm\"", StringComparison.Ordinal)
            .Replace("categories: [travel]", "categories: [yachts]", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Equal([LineOf(yaml, "6pm"), LineOf(yaml, "yachts"), LineOf(yaml, "duty-wu")], errors.Select(e => e.Line));
    }

    [Fact]
    public void Parse_MissingLevels_Error()
    {
        var errors = Errors("company: harbour\nversion: \"1\"\ncurrency: HKD\nworkingHours: { utcOffset: \"+08:00\", days: [Mon], start: \"09:00\", end: \"18:00\" }\ntimers: { reminderAfter: 1h, escalateAfter: 2h }\nescalation: { finance: [fin-lam] }\n");

        Assert.Contains(errors, e => e.Line == 1 && e.Message.Contains("'levels'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_InvalidPolicy_ThrowsWithFileAndLineInMessage()
    {
        var yaml = SeedWith("dutySupervisor: duty-ng", "dutySupervisor: duty-wu");

        var ex = Assert.Throws<PolicyValidationException>(() => PolicyLoader.Load(yaml, SeedFiles.Company, "policy.yaml"));

        Assert.Contains($"policy.yaml:{LineOf(yaml, "duty-wu")}:", ex.Message, StringComparison.Ordinal);
    }
}
