using System.Globalization;
using System.Text.RegularExpressions;
using Reimburse.Core.Approvals;
using Reimburse.Core.Company;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Reimburse.Functions.Approvals;

/// <summary>A problem in a policy file, at a 1-based line and column.</summary>
public sealed record PolicyError(int Line, int Column, string Message)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Line}:{Column}: {Message}");
}

/// <summary>The policy, or every problem found in it (never both).</summary>
public sealed record PolicyLoadResult(ApprovalPolicy? Policy, IReadOnlyList<PolicyError> Errors)
{
    public bool Succeeded => Policy is not null;
}

/// <summary>Thrown by <see cref="PolicyLoader.Load"/> when a policy file is invalid; lists every error with its line.</summary>
public sealed class PolicyValidationException(string source, IReadOnlyList<PolicyError> errors)
    : Exception($"Invalid approval policy {source}:{Environment.NewLine}" + string.Join(Environment.NewLine, errors.Select(e => $"  {source}:{e}")))
{
    public IReadOnlyList<PolicyError> Errors { get; } = errors;
}

/// <summary>
/// Reads an approval policy (seed/&lt;company&gt;/policy.yaml) into <see cref="ApprovalPolicy"/>, checking it against the
/// company directory: unknown users, categories and keys, bad times, dates and durations, overlapping rules.
/// All errors are collected, each with the line and column of the offending node.
/// </summary>
public static partial class PolicyLoader
{
    private static readonly string[] TopKeys = ["company", "version", "currency", "workingHours", "holidays", "levels", "financeReview", "timers", "escalation", "offHours", "delegations", "offices", "reach"];

    /// <summary>Loads and validates, throwing <see cref="PolicyValidationException"/> with every error.</summary>
    public static ApprovalPolicy Load(string yaml, CompanyDirectory directory, string sourceName = "policy.yaml", Func<string, string?>? readCalendar = null)
    {
        var result = Parse(yaml, directory, readCalendar);
        return result.Policy ?? throw new PolicyValidationException(sourceName, result.Errors);
    }

    /// <summary>Reads the file, then <see cref="Load"/>.</summary>
    public static async Task<ApprovalPolicy> LoadFileAsync(string path, CompanyDirectory directory, CancellationToken cancellationToken = default)
    {
        var yaml = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Load(yaml, directory, Path.GetFileName(path));
    }

    /// <summary>Parses and validates without throwing.</summary>
    /// <param name="readCalendar">Reads an office's iCalendar file by name (null: not found); default: the shipped seed/calendars.</param>
    public static PolicyLoadResult Parse(string yaml, CompanyDirectory directory, Func<string, string?>? readCalendar = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            var message = ex.InnerException is { } inner && ex.Message.Contains("exception", StringComparison.OrdinalIgnoreCase) ? inner.Message : ex.Message;
            return new PolicyLoadResult(null, [new PolicyError(checked((int)ex.Start.Line), checked((int)ex.Start.Column), $"YAML syntax: {message}")]);
        }
        catch (InvalidOperationException ex)
        {
            // Some malformed input makes YamlDotNet's scanner throw without a position; locate it by re-parsing.
            var (line, column) = LastGoodPosition(yaml);
            return new PolicyLoadResult(null, [new PolicyError(line, column, $"YAML syntax: cannot parse after this point ({ex.Message})")]);
        }
        if (stream.Documents.Count != 1)
        {
            return new PolicyLoadResult(null, [new PolicyError(1, 1, "The policy file must hold exactly one YAML document.")]);
        }
        var reader = new Reader(directory, readCalendar ?? OfficeCalendars.ReadShipped);
        var policy = reader.ReadPolicy(stream.Documents[0].RootNode);
        return reader.Errors.Count > 0 || policy is null
            ? new PolicyLoadResult(null, reader.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList())
            : new PolicyLoadResult(policy, []);
    }

    private static (int Line, int Column) LastGoodPosition(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var mark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                mark = parser.Current!.End;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or YamlException)
        {
            // Expected: the same failure as the first pass; `mark` is the end of the last good event.
        }
        return (Math.Max(1, checked((int)mark.Line)), Math.Max(1, checked((int)mark.Column)));
    }

    [GeneratedRegex(@"^(?<sign>[+-])(?<h>\d{2}):(?<m>\d{2})$")]
    private static partial Regex OffsetPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<unit>[mhd])$")]
    private static partial Regex DurationPattern();

    private sealed class Reader(CompanyDirectory directory, Func<string, string?> readCalendar)
    {
        private static readonly Dictionary<string, DayOfWeek> Days = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Mon"] = DayOfWeek.Monday, ["Tue"] = DayOfWeek.Tuesday, ["Wed"] = DayOfWeek.Wednesday, ["Thu"] = DayOfWeek.Thursday,
            ["Fri"] = DayOfWeek.Friday, ["Sat"] = DayOfWeek.Saturday, ["Sun"] = DayOfWeek.Sunday,
        };

        public List<PolicyError> Errors { get; } = [];

        public ApprovalPolicy? ReadPolicy(YamlNode root)
        {
            if (root is not YamlMappingNode map)
            {
                Error(root, "The policy must be a mapping (key: value pairs) at the top level.");
                return null;
            }
            CheckKeys(map, TopKeys);

            var company = RequiredString(map, "company");
            if (company is not null && !string.Equals(company.Value, directory.Id, StringComparison.Ordinal))
            {
                Error(company.Node, $"Policy is for company '{company.Value}' but the directory is '{directory.Id}'.");
            }
            var version = RequiredString(map, "version")?.Value ?? "";
            var currency = RequiredString(map, "currency");
            if (currency is not null && !string.Equals(currency.Value, directory.BaseCurrency, StringComparison.Ordinal))
            {
                Error(currency.Node, $"Policy currency '{currency.Value}' must be the company's base currency {directory.BaseCurrency}.");
            }

            var calendar = ReadCalendar(map);
            var levels = ReadLevels(map);
            var timers = ReadTimers(map, calendar);
            var escalation = ReadEscalation(map);
            var offHours = Get(map, "offHours") is { } oh && AsMap(oh, "offHours") is { } ohMap ? ReadOffHours(ohMap) : null;
            var review = Get(map, "financeReview") is { } fr && AsMap(fr, "financeReview") is { } frMap ? ReadFinanceReview(frMap) : null;
            var delegations = ReadDelegations(map);
            var offices = ReadOffices(map, calendar);
            var reach = ReadReach(map, calendar, levels);

            if (Errors.Count > 0 || calendar is null || timers is null || escalation is null)
            {
                return null;
            }
            return new ApprovalPolicy(directory.Id, version, currency?.Value ?? directory.BaseCurrency, calendar, levels, timers, escalation, offHours, review, delegations,
                reach, offices);
        }

        /// <summary>offices: [{ id, name, timeZone, calendar: file.ics | holidays: [...], makeUpWorkingDays: [...] }]. Each
        /// office works the policy's hours at the policy's offset; its calendar replaces the policy's holidays.</summary>
        private Dictionary<string, Office>? ReadOffices(YamlMappingNode root, WorkingCalendar? company)
        {
            if (Get(root, "offices") is not { } node || AsSequence(node, "offices") is not { } seq)
            {
                CheckUserOffices(root, null);
                return null;
            }
            var offices = new Dictionary<string, Office>(StringComparer.Ordinal);
            foreach (var item in seq)
            {
                if (AsMap(item, "office") is not { } o)
                {
                    continue;
                }
                CheckKeys(o, ["id", "name", "timeZone", "calendar", "holidays", "makeUpWorkingDays"]);
                var id = RequiredString(o, "id");
                var zone = RequiredString(o, "timeZone");
                var holidays = new List<DateOnly>();
                var workdays = new List<DateOnly>();
                if (OptionalString(o, "calendar") is { } file)
                {
                    var node2 = o.Children[new YamlScalarNode("calendar")];
                    if (readCalendar(file) is not { } text)
                    {
                        Error(node2, $"Calendar file '{file}' was not found (seed/calendars, or uploaded with PUT /api/admin/calendars/{{name}}).");
                    }
                    else
                    {
                        var days = OfficeCalendars.Parse(text);
                        foreach (var e in days.Errors)
                        {
                            Error(node2, $"{file}: {e}");
                        }
                        holidays.AddRange(days.Holidays);
                        workdays.AddRange(days.MakeUpWorkingDays);
                    }
                }
                holidays.AddRange(Dates(o, "holidays"));
                workdays.AddRange(Dates(o, "makeUpWorkingDays"));
                if (id is null || zone is null || company is null)
                {
                    continue;
                }
                if (offices.ContainsKey(id.Value))
                {
                    Error(id.Node, $"Office id '{id.Value}' is listed twice.");
                    continue;
                }
                var calendar = new WorkingCalendar(company.UtcOffset, company.WorkDays, company.Opens, company.Closes, holidays, workdays);
                offices[id.Value] = new Office(id.Value, OptionalString(o, "name") ?? id.Value, zone.Value, calendar);
            }
            CheckUserOffices(root, offices);
            return offices;
        }

        private void CheckUserOffices(YamlMappingNode root, Dictionary<string, Office>? offices)
        {
            foreach (var u in directory.Users.Where(u => u.Office is not null && offices?.ContainsKey(u.Office) != true))
            {
                Error(root, $"User '{u.Id}' works at office '{u.Office}', which the policy's offices do not list.");
            }
        }

        private List<DateOnly> Dates(YamlMappingNode map, string key)
        {
            var result = new List<DateOnly>();
            if (Get(map, key) is not { } node || AsSequence(node, key) is not { } seq)
            {
                return result;
            }
            foreach (var item in seq)
            {
                if (Scalar(item, key) is not { } text)
                {
                    continue;
                }
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                {
                    result.Add(d);
                }
                else
                {
                    Error(item, $"'{text}' is not a date (yyyy-MM-dd).");
                }
            }
            return result;
        }

        /// <summary>reach: { dailyCapPerApprover, ladder: [{ channel: sms|call, after }], levels: { levelId: [...] }, urgent: [...] }.</summary>
        private ReachPolicy? ReadReach(YamlMappingNode root, WorkingCalendar? calendar, List<PolicyLevel> levels)
        {
            if (Get(root, "reach") is not { } node || AsMap(node, "reach") is not { } map)
            {
                return null;
            }
            CheckKeys(map, ["dailyCapPerApprover", "ladder", "levels", "urgent"]);
            var dayLength = calendar?.WorkingDayLength ?? TimeSpan.FromHours(9);
            var cap = 0;
            if (RequiredString(map, "dailyCapPerApprover") is { } capText
                && (!int.TryParse(capText.Value, NumberStyles.None, CultureInfo.InvariantCulture, out cap) || cap is < 1 or > 50))
            {
                Error(capText.Node, "dailyCapPerApprover must be a whole number from 1 to 50.");
            }
            var ladder = Rungs(map, "ladder", dayLength) ?? [];
            var perLevel = new Dictionary<string, IReadOnlyList<LadderRung>>(StringComparer.Ordinal);
            if (Get(map, "levels") is { } lv && AsMap(lv, "levels") is { } lvMap)
            {
                foreach (var (k, _) in lvMap.Children)
                {
                    var levelId = ((YamlScalarNode)k).Value ?? "";
                    if (levelId != RoutePlanner.FinanceReviewLevel && levels.All(l => l.Id != levelId))
                    {
                        Error(k, $"Unknown level '{levelId}' (levels: {string.Join(", ", levels.Select(l => l.Id).Append(RoutePlanner.FinanceReviewLevel))}).");
                    }
                    perLevel[levelId] = Rungs(lvMap, levelId, dayLength) ?? [];
                }
            }
            var urgent = Get(map, "urgent") is null ? null : Rungs(map, "urgent", dayLength);
            return new ReachPolicy(ladder, perLevel, urgent, cap);
        }

        private List<LadderRung>? Rungs(YamlMappingNode map, string key, TimeSpan dayLength)
        {
            if (Get(map, key) is not { } node || AsSequence(node, key) is not { } seq)
            {
                return null;
            }
            var rungs = new List<LadderRung>();
            foreach (var item in seq)
            {
                if (AsMap(item, "rung") is not { } r)
                {
                    continue;
                }
                CheckKeys(r, ["channel", "after"]);
                var channel = RequiredString(r, "channel");
                var after = Duration(r, "after", dayLength);
                if (channel is not null && channel.Value is not ("sms" or "call"))
                {
                    Error(channel.Node, $"channel '{channel.Value}' must be sms or call (chat and e-mail are the ladder's first rung, sent at once).");
                    continue;
                }
                if (channel is null || after is null)
                {
                    continue;
                }
                if (rungs.Count > 0 && after <= rungs[^1].After)
                {
                    Error(r, $"Rungs must come later one after another: {after} is not after {rungs[^1].After}.");
                }
                rungs.Add(new LadderRung(channel.Value == "sms" ? ReachChannel.Sms : ReachChannel.Call, after.Value));
            }
            return rungs;
        }

        private WorkingCalendar? ReadCalendar(YamlMappingNode root)
        {
            var hoursNode = Required(root, "workingHours");
            var holidays = ReadHolidays(root);
            if (hoursNode is null || AsMap(hoursNode, "workingHours") is not { } hours)
            {
                return null;
            }
            CheckKeys(hours, ["utcOffset", "days", "start", "end"]);
            TimeSpan? offset = null;
            if (RequiredString(hours, "utcOffset") is { } o)
            {
                var m = OffsetPattern().Match(o.Value);
                if (!m.Success || int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture) > 14 || int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture) > 59)
                {
                    Error(o.Node, $"utcOffset '{o.Value}' must look like +08:00 (a fixed offset; time zone names are not used).");
                }
                else
                {
                    var span = new TimeSpan(int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups["m"].Value, CultureInfo.InvariantCulture), 0);
                    offset = m.Groups["sign"].Value == "-" ? -span : span;
                }
            }
            var days = new List<DayOfWeek>();
            if (Required(hours, "days") is { } daysNode && AsSequence(daysNode, "days") is { } daySeq)
            {
                foreach (var d in daySeq)
                {
                    if (Scalar(d, "day") is not { } name)
                    {
                        continue;
                    }
                    if (!Days.TryGetValue(name, out var day))
                    {
                        Error(d, $"Unknown day '{name}'; use Mon, Tue, Wed, Thu, Fri, Sat, Sun.");
                    }
                    else if (days.Contains(day))
                    {
                        Error(d, $"Day '{name}' is listed twice.");
                    }
                    else
                    {
                        days.Add(day);
                    }
                }
                if (daySeq.Children.Count == 0)
                {
                    Error(daysNode, "At least one working day is required.");
                }
            }
            var start = Time(hours, "start");
            var end = Time(hours, "end");
            if (start is { } s && end is { } e && s >= e)
            {
                Error(hours.Children[new YamlScalarNode("end")], $"Working hours end ({e:HH\\:mm}) must be after start ({s:HH\\:mm}).");
                return null;
            }
            return offset is null || start is null || end is null || days.Count == 0 || holidays is null
                ? null
                : new WorkingCalendar(offset.Value, days, start.Value, end.Value, holidays);
        }

        private List<DateOnly>? ReadHolidays(YamlMappingNode root)
        {
            var result = new List<DateOnly>();
            if (Get(root, "holidays") is not { } node)
            {
                return result;
            }
            if (AsSequence(node, "holidays") is not { } seq)
            {
                return null;
            }
            var seen = new Dictionary<DateOnly, int>();
            foreach (var item in seq)
            {
                if (AsMap(item, "holiday") is not { } h)
                {
                    continue;
                }
                CheckKeys(h, ["date", "name"]);
                if (Date(h, "date") is not { } date)
                {
                    continue;
                }
                if (seen.TryGetValue(date, out var line))
                {
                    Error(h.Children[new YamlScalarNode("date")], $"Holiday {date:yyyy-MM-dd} is already listed at line {line}.");
                    continue;
                }
                seen[date] = checked((int)h.Start.Line);
                result.Add(date);
            }
            return result;
        }

        private List<PolicyLevel> ReadLevels(YamlMappingNode root)
        {
            var levels = new List<PolicyLevel>();
            if (Required(root, "levels") is not { } node || AsSequence(node, "levels") is not { } seq)
            {
                return levels;
            }
            if (seq.Children.Count == 0)
            {
                Error(seq, "At least one level is required.");
            }
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var item in seq)
            {
                if (AsMap(item, "level") is not { } level)
                {
                    continue;
                }
                CheckKeys(level, ["id", "name", "rules"]);
                var id = RequiredString(level, "id");
                if (id is not null)
                {
                    if (ids.TryGetValue(id.Value, out var line))
                    {
                        Error(id.Node, $"Level id '{id.Value}' is already used at line {line}.");
                    }
                    ids[id.Value] = checked((int)id.Node.Start.Line);
                }
                var name = OptionalString(level, "name") ?? id?.Value ?? "";
                var rules = new List<(LevelRule Rule, YamlNode Node)>();
                if (Required(level, "rules") is { } rulesNode && AsSequence(rulesNode, "rules") is { } ruleSeq)
                {
                    if (ruleSeq.Children.Count == 0)
                    {
                        Error(ruleSeq, $"Level '{id?.Value}' needs at least one rule.");
                    }
                    foreach (var r in ruleSeq)
                    {
                        if (AsMap(r, "rule") is { } ruleMap && ReadRule(ruleMap, name) is { } rule)
                        {
                            CheckOverlap(rule, ruleMap, rules, id?.Value ?? "?");
                            rules.Add((rule, ruleMap));
                        }
                    }
                }
                if (id is not null)
                {
                    levels.Add(new PolicyLevel(id.Value, name, rules.Select(r => r.Rule).ToList()));
                }
            }
            return levels;
        }

        private void CheckOverlap(LevelRule rule, YamlNode node, List<(LevelRule Rule, YamlNode Node)> earlier, string levelId)
        {
            var all = directory.Categories.Select(c => c.Id).ToList();
            var mine = rule.CategoriesWithin(all).ToHashSet(StringComparer.Ordinal);
            foreach (var (other, otherNode) in earlier)
            {
                var shared = other.CategoriesWithin(all).Where(mine.Contains).ToList();
                if (shared.Count > 0 && rule.Amount.Overlaps(other.Amount))
                {
                    Error(node, $"Rule overlaps the rule at line {otherNode.Start.Line} of level '{levelId}' ({rule.Amount} vs {other.Amount}, both for {string.Join(", ", shared)}); a claim must match at most one rule per level.");
                }
            }
        }

        private LevelRule? ReadRule(YamlMappingNode rule, string levelName)
        {
            CheckKeys(rule, ["when", "approvers", "mode", "reason"]);
            decimal? over = null, upTo = null;
            IReadOnlyList<string> categories = [], except = [];
            if (Get(rule, "when") is { } whenNode && AsMap(whenNode, "when") is { } when)
            {
                CheckKeys(when, ["amountOver", "amountUpTo", "categories", "exceptCategories"]);
                over = Amount(when, "amountOver");
                upTo = Amount(when, "amountUpTo");
                if (over is { } o && upTo is { } u && u <= o)
                {
                    Error(when, $"amountUpTo ({u}) must be greater than amountOver ({o}).");
                }
                categories = Categories(when, "categories");
                except = Categories(when, "exceptCategories");
            }
            var approvers = Required(rule, "approvers") is { } a ? Selector(a) : null;
            var mode = Mode(rule);
            var reason = OptionalString(rule, "reason") ?? $"{levelName} approval.";
            return approvers is null ? null : new LevelRule(new AmountRange(over, upTo), categories, except, approvers, mode, reason);
        }

        private ApprovalMode Mode(YamlMappingNode map)
        {
            if (Get(map, "mode") is not { } node || Scalar(node, "mode") is not { } value)
            {
                return ApprovalMode.AnyOf;
            }
            switch (value)
            {
                case "allOf":
                    return ApprovalMode.AllOf;
                case "anyOf":
                    return ApprovalMode.AnyOf;
                default:
                    Error(node, $"Unknown mode '{value}'; use allOf or anyOf.");
                    return ApprovalMode.AnyOf;
            }
        }

        private ApproverSelector? Selector(YamlNode node)
        {
            if (node is YamlScalarNode scalar)
            {
                switch (scalar.Value)
                {
                    case "lineManager":
                        return ApproverSelector.LineManager;
                    case "departmentHead":
                        return ApproverSelector.DepartmentHead;
                    case "departmentFinance":
                        return ApproverSelector.DepartmentFinance;
                    default:
                        Error(node, $"Unknown approvers '{scalar.Value}'; use lineManager, departmentHead, departmentFinance or {{ users: [...] }}.");
                        return null;
                }
            }
            if (AsMap(node, "approvers") is not { } map)
            {
                return null;
            }
            CheckKeys(map, ["users"]);
            var users = Users(map, "users", requireApprover: true);
            if (users.Count == 0)
            {
                if (Get(map, "users") is { } u)
                {
                    Error(u, "At least one user is required.");
                }
                return null;
            }
            return ApproverSelector.Named([.. users]);
        }

        private TimerPolicy? ReadTimers(YamlMappingNode root, WorkingCalendar? calendar)
        {
            if (Required(root, "timers") is not { } node || AsMap(node, "timers") is not { } map)
            {
                return null;
            }
            CheckKeys(map, ["reminderAfter", "escalateAfter"]);
            var dayLength = calendar?.WorkingDayLength ?? TimeSpan.FromHours(9);
            var reminder = Duration(map, "reminderAfter", dayLength);
            var escalate = Duration(map, "escalateAfter", dayLength);
            if (reminder is { } r && escalate is { } e && r >= e)
            {
                Error(map.Children[new YamlScalarNode("reminderAfter")], "reminderAfter must be shorter than escalateAfter (a reminder after the escalation would never be sent).");
            }
            return reminder is null || escalate is null ? null : new TimerPolicy(reminder.Value, escalate.Value);
        }

        private EscalationPolicy? ReadEscalation(YamlMappingNode root)
        {
            if (Required(root, "escalation") is not { } node || AsMap(node, "escalation") is not { } map)
            {
                return null;
            }
            CheckKeys(map, ["toManager", "finance"]);
            var toManager = true;
            if (Get(map, "toManager") is { } tm && Scalar(tm, "toManager") is { } value)
            {
                if (!bool.TryParse(value, out toManager))
                {
                    Error(tm, $"toManager must be true or false, not '{value}'.");
                }
            }
            var finance = Users(map, "finance", requireApprover: true);
            if (Get(map, "finance") is null)
            {
                Error(map, "escalation.finance must list at least one finance approver.");
            }
            return new EscalationPolicy(toManager, finance);
        }

        private OffHoursPolicy? ReadOffHours(YamlMappingNode map)
        {
            CheckKeys(map, ["dutySupervisor"]);
            return RequiredString(map, "dutySupervisor") is { } duty && KnownUser(duty.Node, duty.Value, requireApprover: true)
                ? new OffHoursPolicy(duty.Value)
                : null;
        }

        private FinanceReviewPolicy? ReadFinanceReview(YamlMappingNode map)
        {
            CheckKeys(map, ["name", "approvers", "mode"]);
            var approvers = Required(map, "approvers") is { } a ? Selector(a) : null;
            return approvers is null ? null : new FinanceReviewPolicy(OptionalString(map, "name") ?? "Finance review", approvers, Mode(map));
        }

        private List<Delegation> ReadDelegations(YamlMappingNode root)
        {
            var result = new List<Delegation>();
            if (Get(root, "delegations") is not { } node || AsSequence(node, "delegations") is not { } seq)
            {
                return result;
            }
            foreach (var item in seq)
            {
                if (AsMap(item, "delegation") is not { } d)
                {
                    continue;
                }
                CheckKeys(d, ["from", "to", "start", "end", "reason"]);
                var from = RequiredString(d, "from");
                var to = RequiredString(d, "to");
                var fromOk = from is not null && KnownUser(from.Node, from.Value, requireApprover: false);
                var toOk = to is not null && KnownUser(to.Node, to.Value, requireApprover: false);
                var start = Date(d, "start");
                var end = Date(d, "end");
                if (from is not null && to is not null && from.Value == to.Value)
                {
                    Error(to.Node, "A delegation must name someone else.");
                    continue;
                }
                if (start is { } s && end is { } e && e < s)
                {
                    Error(d.Children[new YamlScalarNode("end")], $"Delegation ends ({e:yyyy-MM-dd}) before it starts ({s:yyyy-MM-dd}).");
                    continue;
                }
                if (fromOk && toOk && start is not null && end is not null)
                {
                    result.Add(new Delegation(from!.Value, to!.Value, start.Value, end.Value, OptionalString(d, "reason")));
                }
            }
            return result;
        }

        // ---- node helpers -------------------------------------------------------------------------

        private sealed record Str(string Value, YamlNode Node);

        private void Error(YamlNode node, string message) =>
            Errors.Add(new PolicyError(checked((int)node.Start.Line), checked((int)node.Start.Column), message));

        private void CheckKeys(YamlMappingNode map, IReadOnlyCollection<string> allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                if (key is not YamlScalarNode { Value: { } name } || !allowed.Contains(name))
                {
                    Error(key, $"Unknown key '{(key as YamlScalarNode)?.Value}'; expected one of: {string.Join(", ", allowed)}.");
                }
            }
        }

        private static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private YamlNode? Required(YamlMappingNode map, string key)
        {
            var node = Get(map, key);
            if (node is null)
            {
                Error(map, $"Missing required key '{key}'.");
            }
            return node;
        }

        private YamlMappingNode? AsMap(YamlNode node, string what)
        {
            if (node is YamlMappingNode map)
            {
                return map;
            }
            Error(node, $"'{what}' must be a mapping (key: value pairs).");
            return null;
        }

        private YamlSequenceNode? AsSequence(YamlNode node, string what)
        {
            if (node is YamlSequenceNode seq)
            {
                return seq;
            }
            Error(node, $"'{what}' must be a list.");
            return null;
        }

        private string? Scalar(YamlNode node, string what)
        {
            if (node is YamlScalarNode { Value: { Length: > 0 } value })
            {
                return value.Trim();
            }
            Error(node, $"'{what}' must be a plain value.");
            return null;
        }

        private Str? RequiredString(YamlMappingNode map, string key) =>
            Required(map, key) is { } node && Scalar(node, key) is { } value ? new Str(value, node) : null;

        private string? OptionalString(YamlMappingNode map, string key) =>
            Get(map, key) is { } node ? Scalar(node, key) : null;

        private TimeOnly? Time(YamlMappingNode map, string key)
        {
            if (RequiredString(map, key) is not { } s)
            {
                return null;
            }
            if (TimeOnly.TryParseExact(s.Value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                return time;
            }
            Error(s.Node, $"{key} '{s.Value}' must be a 24-hour time like 09:00.");
            return null;
        }

        private DateOnly? Date(YamlMappingNode map, string key)
        {
            if (RequiredString(map, key) is not { } s)
            {
                return null;
            }
            if (DateOnly.TryParseExact(s.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                return date;
            }
            Error(s.Node, $"{key} '{s.Value}' must be a date like 2026-12-25.");
            return null;
        }

        private decimal? Amount(YamlMappingNode map, string key)
        {
            if (Get(map, key) is not { } node || Scalar(node, key) is not { } value)
            {
                return null;
            }
            if (decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return amount;
            }
            Error(node, $"{key} '{value}' must be a non-negative amount like 5000 or 5000.50.");
            return null;
        }

        private TimeSpan? Duration(YamlMappingNode map, string key, TimeSpan workingDay)
        {
            if (RequiredString(map, key) is not { } s)
            {
                return null;
            }
            var m = DurationPattern().Match(s.Value);
            if (!m.Success || decimal.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) <= 0)
            {
                Error(s.Node, $"{key} '{s.Value}' must be a positive working duration like 30m, 4h or 1d.");
                return null;
            }
            var n = (double)decimal.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            return m.Groups["unit"].Value switch
            {
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => workingDay * n,
            };
        }

        private IReadOnlyList<string> Categories(YamlMappingNode map, string key)
        {
            var result = new List<string>();
            if (Get(map, key) is not { } node || AsSequence(node, key) is not { } seq)
            {
                return result;
            }
            foreach (var item in seq)
            {
                if (Scalar(item, "category") is not { } name)
                {
                    continue;
                }
                if (directory.FindCategory(name) is { } category)
                {
                    result.Add(category.Id);
                }
                else
                {
                    Error(item, $"Unknown category '{name}'; known: {string.Join(", ", directory.Categories.Select(c => c.Id))}.");
                }
            }
            return result;
        }

        private List<string> Users(YamlMappingNode map, string key, bool requireApprover)
        {
            var result = new List<string>();
            if (Get(map, key) is not { } node || AsSequence(node, key) is not { } seq)
            {
                return result;
            }
            foreach (var item in seq)
            {
                if (Scalar(item, "user") is not { } id || !KnownUser(item, id, requireApprover))
                {
                    continue;
                }
                if (result.Contains(id))
                {
                    Error(item, $"User '{id}' is listed twice.");
                    continue;
                }
                result.Add(id);
            }
            return result;
        }

        private bool KnownUser(YamlNode node, string id, bool requireApprover)
        {
            var user = directory.FindUser(id);
            if (user is null)
            {
                Error(node, $"Unknown user '{id}'.");
                return false;
            }
            if (requireApprover && !user.Has(Role.Approver))
            {
                Error(node, $"User '{id}' does not have the approver role.");
                return false;
            }
            return true;
        }
    }
}
