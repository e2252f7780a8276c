namespace Reimburse.Core.Risk.Synthetic;

/// <summary>
/// Seeded synthetic claim history of a Hong Kong SME (sales, operations, finance, admin): weekday
/// lunches and taxis with personal habits, sales entertainment peaking around Chinese New Year and
/// December, month-end sales trips, quiet public holidays, office supplies from admin, occasional
/// training. Injects labelled anomalies of every rule type plus amount outliers.
/// </summary>
public static class SyntheticHistoryGenerator
{
    public static readonly IReadOnlyList<string> Departments = ["sales", "operations", "finance", "admin"];

    /// <summary>Unlisted small eateries and taxi operators: normal for small amounts.</summary>
    private static readonly string[] LocalEateries = ["Lan Fong Yuen", "Mak's Noodle", "Australia Dairy Company", "Kam Wah Cafe", "Tai Cheong Bakery", "Yat Lok", "Sing Heung Yuen"];

    /// <summary>Unlisted businesses used by vendor anomalies.</summary>
    private static readonly (string Name, string Category)[] UnlistedVendors =
    [
        ("Golden Dragon Trading Co", "office-supplies"), ("QuickPrint Express", "office-supplies"), ("Lucky Electronics", "office-supplies"),
        ("Star Consulting Ltd", "training"), ("Bright Future Academy", "training"), ("Ocean View Seafood", "client-entertainment"),
        ("Dragon Pearl Karaoke", "client-entertainment"), ("Prime Travel Agency", "travel"), ("Harbour Express Hotel", "travel"),
    ];

    /// <summary>The demo company's categories, limits and vendors (seed/harbour-trading/company.yaml), with its budgets.</summary>
    public static RiskPolicy HarbourTradingPolicy() => new()
    {
        ApprovalThresholdsHkd = [5000m],
        CategoryLimitsHkd = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["meals"] = 500m, ["transport"] = 800m, ["travel"] = 30000m, ["office-supplies"] = 3000m, ["client-entertainment"] = 10000m, ["training"] = 20000m,
        },
        CategoryNamesZh = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["meals"] = "膳食", ["transport"] = "交通", ["travel"] = "差旅", ["office-supplies"] = "辦公用品", ["client-entertainment"] = "客戶應酬", ["training"] = "培訓",
        },
        ApprovedVendors =
        [
            new("Tsui Wah Restaurant", "翠華餐廳", ["meals", "client-entertainment"]),
            new("Maxim's Caterers", "美心食品", ["meals", "client-entertainment"]),
            new("Cafe de Coral", "大家樂", ["meals"]),
            new("Fairwood", "大快活", ["meals"]),
            new("Jade Garden", "翠園", ["meals", "client-entertainment"]),
            new("HK Taxi", "的士", ["transport"]),
            new("MTR Corporation", "港鐵", ["transport"]),
            new("Cathay Pacific", "國泰航空", ["travel"]),
            new("Hong Kong Airlines", "香港航空", ["travel"]),
            new("Marriott Hotels", "萬豪酒店", ["travel"]),
            new("Commercial Press", "商務印書館", ["office-supplies", "training"]),
            new("Wellcome", "惠康", ["office-supplies", "meals"]),
            new("PARKnSHOP", "百佳", ["office-supplies", "meals"]),
            new("HKU SPACE", "港大專業進修學院", ["training"]),
            new("HKMA Training", "香港管理專業協會", ["training"]),
        ],
        BudgetsHkd = new Dictionary<(string, string), decimal>
        {
            [("sales", "meals")] = 60000m, [("sales", "transport")] = 40000m, [("sales", "travel")] = 150000m,
            [("sales", "client-entertainment")] = 120000m, [("sales", "office-supplies")] = 15000m, [("sales", "training")] = 30000m,
            [("operations", "meals")] = 30000m, [("operations", "transport")] = 50000m, [("operations", "travel")] = 60000m,
            [("operations", "client-entertainment")] = 20000m, [("operations", "office-supplies")] = 25000m, [("operations", "training")] = 30000m,
            [("finance", "meals")] = 15000m, [("finance", "training")] = 40000m, [("admin", "office-supplies")] = 40000m,
        },
    };

    /// <summary>A staff list of about <paramref name="count"/> people: 40% sales, 35% operations, 15% finance, 10% admin.</summary>
    public static IReadOnlyList<SyntheticEmployee> CreateEmployees(int count)
    {
        var shares = new (string Dept, double Share)[] { ("sales", 0.40), ("operations", 0.35), ("finance", 0.15), ("admin", 0.10) };
        var list = new List<SyntheticEmployee>();
        foreach (var (dept, share) in shares)
        {
            var n = Math.Max(1, (int)Math.Round(count * share));
            for (var i = 1; i <= n; i++)
            {
                list.Add(new SyntheticEmployee($"syn-{dept}-{i:D4}", dept));
            }
        }
        return list;
    }

    /// <summary>
    /// History for given people over a date range, e.g. to give the demo company six months of
    /// history: pass its users and <c>RiskPolicy.FromDirectory(company, thresholds)</c>.
    /// </summary>
    public static SyntheticHistory GenerateForUsers(IReadOnlyList<SyntheticEmployee> users, DateOnly from, DateOnly to, RiskPolicy policy, int seed, double anomalyRate = 0, string claimIdPrefix = "hist-") =>
        Generate(new SyntheticHistoryOptions
        {
            Seed = seed, From = from, To = to, Employees = users, Policy = policy, AnomalyRate = anomalyRate,
            GenerateBudgets = false, ClaimIdPrefix = claimIdPrefix,
        });

    /// <summary>Generates the history. Deterministic for given options.</summary>
    public static SyntheticHistory Generate(SyntheticHistoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.To < options.From)
        {
            throw new ArgumentException("To must not be before From.", nameof(options));
        }
        if (options.Employees.Count == 0)
        {
            throw new ArgumentException("At least one employee is needed.", nameof(options));
        }
        var g = new Generation(options);
        g.GenerateClean();
        g.InjectAnomalies();
        var policy = options.Policy;
        if (options.GenerateBudgets)
        {
            policy = g.SizeBudgets(policy);
        }
        return new SyntheticHistory(g.Finish(policy), policy);
    }

    private sealed class Draft
    {
        public required SyntheticEmployee Employee { get; set; }
        public required string Category { get; init; }
        public required string Merchant { get; set; }
        public required decimal Amount { get; set; }
        public required DateOnly ExpenseDate { get; set; }
        public required DateTimeOffset SubmittedAt { get; set; }
        public required List<ReceiptEvidence> Receipts { get; init; }
        public AnomalyType? Anomaly { get; set; }
        public bool Detectable { get; set; } = true;
    }

    private sealed class Generation(SyntheticHistoryOptions options)
    {
        private readonly Random _rng = new(options.Seed);
        private readonly List<Draft> _drafts = [];
        private readonly Dictionary<string, double> _personal = [];
        private readonly Dictionary<(string, string), string[]> _favourites = [];
        private readonly RiskPolicy _policy = options.Policy;
        private int _cleanCount;

        public void GenerateClean()
        {
            foreach (var e in options.Employees)
            {
                // Some people simply spend more (seniority, client-facing); fixed per person.
                _personal[e.Id] = Math.Exp(0.25 * Normal());
            }
            for (var day = options.From; day <= options.To; day = day.AddDays(1))
            {
                foreach (var e in options.Employees)
                {
                    GenerateDay(e, day);
                }
            }
            _cleanCount = _drafts.Count;
        }

        private void GenerateDay(SyntheticEmployee e, DateOnly day)
        {
            var holiday = _policy.PublicHolidays.Contains(day);
            var weekend = HongKongCalendar.IsWeekend(day);
            var cny = HongKongCalendar.LunarNewYear.TryGetValue(day.Year, out var ny) ? day.DayNumber - ny.DayNumber : int.MaxValue;
            if (cny is int.MaxValue && HongKongCalendar.LunarNewYear.TryGetValue(day.Year + 1, out var nextNy))
            {
                cny = day.DayNumber - nextNy.DayNumber;
            }
            var offDay = holiday || weekend;
            // Around Chinese New Year many take leave; the spring dinners (開年飯) follow.
            var leave = cny is >= -2 and <= 6 ? 0.35 : 1.0;
            var springDinners = cny is >= -14 and <= -3 or >= 7 and <= 20 ? 2.5 : 1.0;
            var december = day.Month == 12 ? 1.6 : 1.0;
            var offFactor = offDay ? (e.Department is "sales" or "operations" ? 0.12 : 0.02) : 1.0;

            var (mealP, taxiP, entP, officeP, trainP, tripP) = e.Department switch
            {
                "sales" => (0.22, 0.26, 0.07, 0.01, 0.004, 0.30),
                "operations" => (0.14, 0.30, 0.01, 0.02, 0.004, 0.10),
                "finance" => (0.10, 0.05, 0.004, 0.01, 0.006, 0.04),
                _ => (0.09, 0.06, 0.002, 0.07, 0.004, 0.03),
            };
            if (Chance(mealP * offFactor * leave))
            {
                var dinner = Chance(0.3);
                var (merchant, fav) = PickMerchant(e, "meals");
                var amount = LogNormal(dinner ? 150 : 85, 0.35) * Personal(e);
                AddClean(e, "meals", fav ? merchant : merchant, RoundTo(Math.Min(amount, 480), 0.1m), day);
            }
            if (Chance(taxiP * offFactor * leave))
            {
                var (merchant, _) = PickMerchant(e, "transport");
                var amount = merchant == "MTR Corporation" ? LogNormal(25, 0.3) : LogNormal(95, 0.45) * Personal(e);
                AddClean(e, "transport", merchant, RoundTo(Math.Min(amount, 760), 0.1m), day, receipt: merchant != "MTR Corporation" || Chance(0.5));
                // A return trip the same day is common, at a different fare.
                if (merchant != "MTR Corporation" && Chance(0.25))
                {
                    AddClean(e, "transport", merchant, RoundTo(Math.Min(LogNormal(95, 0.45) * Personal(e), 760), 0.1m), day);
                }
            }
            if (!offDay && Chance(entP * springDinners * december * leave))
            {
                var (merchant, _) = PickMerchant(e, "client-entertainment");
                AddClean(e, "client-entertainment", merchant, RoundTo(Math.Min(LogNormal(1700, 0.5) * Personal(e), 9500), 0.1m), day);
            }
            if (!offDay && Chance(officeP * leave))
            {
                var (merchant, _) = PickMerchant(e, "office-supplies");
                var median = e.Department == "admin" ? 650 : 220;
                AddClean(e, "office-supplies", merchant, RoundTo(Math.Min(LogNormal(median, 0.6), 2900), 0.1m), day);
            }
            if (!offDay && Chance(trainP))
            {
                var (merchant, _) = PickMerchant(e, "training");
                AddClean(e, "training", merchant, RoundTo(Math.Min(LogNormal(3200, 0.5), 18000), 100m), day);
            }
            // Month-end trips: sales visit mainland and regional clients in the last week of the month.
            var lastWeek = day.Day == DateTime.DaysInMonth(day.Year, day.Month) - 6;
            if (!offDay && lastWeek && Chance(tripP * (day.Month is 7 or 8 ? 1.2 : 1.0)))
            {
                AddTrip(e, day);
            }
        }

        private void AddTrip(SyntheticEmployee e, DateOnly start)
        {
            var nights = 1 + _rng.Next(3);
            var airline = Chance(0.65) ? "Cathay Pacific" : "Hong Kong Airlines";
            var flight = RoundTo(Math.Min(LogNormal(3200, 0.35) * Personal(e), 12000), 1m);
            AddClean(e, "travel", airline, flight, start);
            var hotel = RoundTo(Math.Min(LogNormal(1300, 0.25) * nights * Personal(e), 14000), 1m);
            AddClean(e, "travel", "Marriott Hotels", hotel, start.AddDays(nights));
            for (var d = 0; d < nights; d++)
            {
                if (Chance(0.6))
                {
                    AddClean(e, "meals", Pick(["Maxim's Caterers", "Tsui Wah Restaurant", "Jade Garden"]), RoundTo(Math.Min(LogNormal(160, 0.3), 480), 0.1m), start.AddDays(d));
                }
            }
        }

        private (string Merchant, bool Favourite) PickMerchant(SyntheticEmployee e, string category)
        {
            if (!_favourites.TryGetValue((e.Id, category), out var fav))
            {
                var pool = Pool(category);
                fav = [Pick(pool), Pick(pool)];
                _favourites[(e.Id, category)] = fav;
            }
            return Chance(0.75) ? (Pick(fav), true) : (Pick(Pool(category)), false);
        }

        private string[] Pool(string category)
        {
            var approved = _policy.ApprovedVendors.Where(v => v.Categories.Contains(category, StringComparer.Ordinal)).Select(v => v.Name);
            return category switch
            {
                "meals" => [.. approved, .. LocalEateries],
                "transport" => [.. approved, "Urban Taxi"],
                _ => approved.DefaultIfEmpty(category + " supplier").ToArray(),
            };
        }

        private Draft AddClean(SyntheticEmployee e, string category, string merchant, decimal amount, DateOnly expenseDate, bool receipt = true)
        {
            // Unlisted shops are fine for small amounts only (the allow-list starts at VendorAllowListFromHkd).
            if (_policy.ApprovedVendors.Count > 0 && amount >= _policy.VendorAllowListFromHkd && _policy.FindVendor(RiskKeys.Merchant(merchant)) is null)
            {
                merchant = Pick(_policy.ApprovedVendors.Where(v => v.Categories.Contains(category, StringComparer.Ordinal)).Select(v => v.Name).DefaultIfEmpty(merchant).ToArray());
            }
            var draft = new Draft
            {
                Employee = e,
                Category = category,
                Merchant = merchant,
                Amount = amount,
                ExpenseDate = expenseDate,
                SubmittedAt = SubmissionTime(expenseDate),
                Receipts = receipt ? [Receipt(merchant, expenseDate, amount, ocrNoise: true)] : [],
            };
            _drafts.Add(draft);
            return draft;
        }

        private ReceiptEvidence Receipt(string merchant, DateOnly date, decimal amount, bool ocrNoise)
        {
            var hash = NewHash();
            if (ocrNoise && Chance(0.04))
            {
                return new ReceiptEvidence(hash); // OCR could not read it.
            }
            // Tips and rounding: a few receipts differ slightly from what was typed.
            var total = ocrNoise && Chance(0.02) ? RoundTo((double)amount * (1 - (0.03 * _rng.NextDouble())), 0.1m) : amount;
            // Most receipts print a time or number that OCR reads; some do not.
            var reference = Chance(0.85) ? $"{_rng.Next(7, 23):D2}:{_rng.Next(60):D2}" : null;
            return new ReceiptEvidence(hash, merchant, date, total, Money.HongKongDollar, Reference: reference);
        }

        private string NewHash()
        {
            Span<byte> bytes = stackalloc byte[16];
            _rng.NextBytes(bytes);
            return Convert.ToHexStringLower(bytes);
        }

        private DateTimeOffset SubmissionTime(DateOnly expenseDate)
        {
            var u = _rng.NextDouble();
            var delay = u < 0.6 ? _rng.Next(0, 3) : u < 0.92 ? _rng.Next(3, 8) : _rng.Next(8, 21);
            var date = expenseDate.AddDays(delay);
            if (HongKongCalendar.IsWeekend(date) && Chance(0.8))
            {
                date = date.AddDays(date.DayOfWeek == DayOfWeek.Saturday ? 2 : 1);
            }
            var v = _rng.NextDouble();
            var hour = v < 0.9 ? 9 + (_rng.NextDouble() * 10) : v < 0.98 ? 19 + (_rng.NextDouble() * 3) : 22 + (_rng.NextDouble() * 2);
            var local = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), _policy.LocalOffset).AddSeconds(Math.Floor(hour * 3600));
            return local.ToUniversalTime();
        }

        public void InjectAnomalies()
        {
            var total = (int)Math.Round(_cleanCount * options.AnomalyRate);
            var mix = options.Mix.Where(kv => kv.Value > 0 && kv.Key != AnomalyType.OverBudget).OrderBy(kv => kv.Key).ToList();
            var weight = mix.Sum(kv => kv.Value) + options.Mix.GetValueOrDefault(AnomalyType.OverBudget);
            if (total == 0 || mix.Count == 0 || weight <= 0)
            {
                return;
            }
            var injected = 0;
            var target = total * mix.Sum(kv => kv.Value) / weight;
            while (injected < target)
            {
                var pick = _rng.NextDouble() * mix.Sum(kv => kv.Value);
                var type = mix[^1].Key;
                foreach (var kv in mix)
                {
                    if (pick < kv.Value)
                    {
                        type = kv.Key;
                        break;
                    }
                    pick -= kv.Value;
                }
                injected += Inject(type);
            }
        }

        private int Inject(AnomalyType type)
        {
            var baseClaim = _drafts[_rng.Next(_cleanCount)];
            switch (type)
            {
                case AnomalyType.ExactDuplicate:
                {
                    if (baseClaim.Receipts.Count == 0)
                    {
                        return 0;
                    }
                    var who = Chance(0.7) ? baseClaim.Employee : Colleague(baseClaim.Employee);
                    Add(new Draft
                    {
                        Employee = who, Category = baseClaim.Category, Merchant = baseClaim.Merchant, Amount = baseClaim.Amount,
                        ExpenseDate = baseClaim.ExpenseDate, SubmittedAt = baseClaim.SubmittedAt.AddHours(2 + (_rng.NextDouble() * 24 * 40)),
                        Receipts = [.. baseClaim.Receipts], Anomaly = type,
                    });
                    return 1;
                }
                case AnomalyType.NearDuplicate:
                {
                    var later = baseClaim.SubmittedAt.AddHours(2 + (_rng.NextDouble() * 24 * 30));
                    if (Chance(0.5) && baseClaim.Receipts is [{ Fingerprint: not null } original])
                    {
                        // The same paper receipt again, scanned to PDF: new file, same OCR reading.
                        var who = Chance(0.7) ? baseClaim.Employee : Colleague(baseClaim.Employee);
                        Add(new Draft
                        {
                            Employee = who, Category = baseClaim.Category, Merchant = baseClaim.Merchant, Amount = baseClaim.Amount,
                            ExpenseDate = baseClaim.ExpenseDate, SubmittedAt = later,
                            Receipts = [original with { ContentHash = NewHash() }], Anomaly = type,
                        });
                        return 1;
                    }
                    if (baseClaim.Amount < _policy.NearDuplicateFromHkd)
                    {
                        return 0;
                    }
                    // Same employee, same merchant and day, the amount retyped slightly differently, with the
                    // receipt missing or unreadable (a readable one would match the first by fingerprint).
                    var nudged = RoundTo((double)baseClaim.Amount * (1 + ((_rng.NextDouble() - 0.5) * 0.03)), 0.1m);
                    Add(new Draft
                    {
                        Employee = baseClaim.Employee, Category = baseClaim.Category, Merchant = baseClaim.Merchant, Amount = nudged,
                        ExpenseDate = baseClaim.ExpenseDate, SubmittedAt = later,
                        Receipts = Chance(0.5) ? [] : [new ReceiptEvidence(NewHash())], Anomaly = type,
                    });
                    return 1;
                }
                case AnomalyType.SplitClaim:
                    return InjectSplit(baseClaim);
                case AnomalyType.VendorNotApproved:
                {
                    var (name, category) = UnlistedVendors[_rng.Next(UnlistedVendors.Length)];
                    var amount = category switch
                    {
                        "office-supplies" => LogNormal(900, 0.5),
                        "training" => LogNormal(3000, 0.4),
                        "client-entertainment" => LogNormal(1800, 0.4),
                        _ => LogNormal(2500, 0.4),
                    };
                    var limit = (double)_policy.CategoryLimitsHkd.GetValueOrDefault(category, 100000m);
                    amount = Math.Clamp(amount, (double)_policy.VendorAllowListFromHkd + 20, limit * 0.95);
                    AddInjected(baseClaim.Employee, category, name, RoundTo(amount, 0.1m), baseClaim.ExpenseDate, type);
                    return 1;
                }
                case AnomalyType.CategoryLimitExceeded:
                {
                    if (!_policy.CategoryLimitsHkd.TryGetValue(baseClaim.Category, out var limit))
                    {
                        return 0;
                    }
                    var amount = (double)limit * (1.05 + (1.2 * _rng.NextDouble()));
                    AddInjected(baseClaim.Employee, baseClaim.Category, baseClaim.Merchant, RoundTo(amount, 0.1m), baseClaim.ExpenseDate, type);
                    return 1;
                }
                case AnomalyType.AmountOutlier:
                {
                    // Several times what this person usually claims in the category, yet within its limit.
                    var typical = Typical(baseClaim.Employee, baseClaim.Category);
                    var limit = (double)_policy.CategoryLimitsHkd.GetValueOrDefault(baseClaim.Category, 1_000_000m);
                    var amount = typical * (4 + (6 * _rng.NextDouble()));
                    if (amount > limit * 0.98)
                    {
                        amount = limit * (0.75 + (0.23 * _rng.NextDouble()));
                    }
                    if (amount < typical * 3)
                    {
                        return 0; // Already near the limit: an outlier is not possible within policy.
                    }
                    AddInjected(baseClaim.Employee, baseClaim.Category, baseClaim.Merchant, RoundTo(amount, 0.1m), baseClaim.ExpenseDate, type);
                    return 1;
                }
                default:
                    return 0;
            }
        }

        private int InjectSplit(Draft baseClaim)
        {
            var threshold = _policy.ApprovalThresholdsHkd.Count > 0 ? _policy.ApprovalThresholdsHkd.Max() : 5000m;
            var categories = new[] { "client-entertainment", "training", "office-supplies" }
                .Where(c => _policy.CategoryLimitsHkd.GetValueOrDefault(c, decimal.MaxValue) >= threshold).ToArray();
            if (categories.Length == 0)
            {
                return 0;
            }
            var category = Pick(categories);
            var merchants = _policy.ApprovedVendors.Where(v => v.Categories.Contains(category, StringComparer.Ordinal)).Select(v => v.Name).DefaultIfEmpty(category + " supplier").ToArray();
            var merchant = Pick(merchants);
            var e = baseClaim.Employee;
            var day = baseClaim.ExpenseDate;
            var start = SubmissionTime(day);
            var collusion = Chance(0.4);
            var pieces = collusion ? 2 : 2 + _rng.Next(2);
            var partner = collusion ? Colleague(e, sameDepartment: true) : e;
            if (collusion && partner == e)
            {
                return 0;
            }
            for (var i = 0; i < pieces; i++)
            {
                var who = collusion && i % 2 == 1 ? partner : e;
                var amount = RoundTo((double)threshold * (0.72 + (0.27 * _rng.NextDouble())), 0.1m);
                Add(new Draft
                {
                    Employee = who, Category = category, Merchant = merchant, Amount = amount,
                    ExpenseDate = day.AddDays(_rng.Next(2)), SubmittedAt = start.AddHours(i * (1 + (_rng.NextDouble() * 30))),
                    Receipts = [Receipt(merchant, day, amount, ocrNoise: false)], Anomaly = AnomalyType.SplitClaim,
                    Detectable = i > 0,
                });
            }
            return pieces;
        }

        private void AddInjected(SyntheticEmployee e, string category, string merchant, decimal amount, DateOnly expenseDate, AnomalyType type) =>
            Add(new Draft
            {
                Employee = e, Category = category, Merchant = merchant, Amount = amount, ExpenseDate = expenseDate,
                SubmittedAt = SubmissionTime(expenseDate), Receipts = [Receipt(merchant, expenseDate, amount, ocrNoise: false)], Anomaly = type,
            });

        private void Add(Draft d) => _drafts.Add(d);

        private SyntheticEmployee Colleague(SyntheticEmployee e, bool sameDepartment = false)
        {
            var pool = options.Employees.Where(o => o.Id != e.Id && (!sameDepartment || o.Department == e.Department)).ToList();
            return pool.Count == 0 ? e : pool[_rng.Next(pool.Count)];
        }

        /// <summary>
        /// Budgets sized to 1.3× the busiest year's annualised clean spend; then, per the mix, some
        /// department-categories get a tight budget so that their last claims of a year run over.
        /// </summary>
        public RiskPolicy SizeBudgets(RiskPolicy policy)
        {
            var ordered = _drafts.OrderBy(d => d.SubmittedAt).ToList();
            var budgets = new Dictionary<(string, string), decimal>();
            var groups = ordered.Where(d => d.Anomaly is null)
                .GroupBy(d => (d.Employee.Department, d.Category))
                .OrderBy(g => g.Key.Department, StringComparer.Ordinal).ThenBy(g => g.Key.Category, StringComparer.Ordinal)
                .ToList();
            foreach (var g in groups)
            {
                var max = g.GroupBy(d => policy.BudgetYearStart(d.SubmittedAt))
                    .Max(y => y.Sum(d => d.Amount) * 365m / Math.Max(30, CoveredDays(y.Key)));
                budgets[g.Key] = Math.Ceiling(max * 1.3m / 1000m) * 1000m;
            }
            var weight = options.Mix.Values.Where(v => v > 0).Sum();
            var overTarget = weight <= 0 ? 0 : (int)Math.Round(_cleanCount * options.AnomalyRate * options.Mix.GetValueOrDefault(AnomalyType.OverBudget) / weight);
            foreach (var g in groups.OrderBy(_ => _rng.Next()))
            {
                if (overTarget <= 0)
                {
                    break;
                }
                // The year this pair spent most in; its last k claims go over (other years spent less,
                // and the replay in Finish labels whatever really goes over).
                var yearStart = g.GroupBy(d => policy.BudgetYearStart(d.SubmittedAt)).OrderByDescending(y => y.Sum(d => d.Amount)).ThenBy(y => y.Key).First().Key;
                var year = g.Where(d => policy.BudgetYearStart(d.SubmittedAt) == yearStart).OrderBy(d => d.SubmittedAt).ToList();
                var k = Math.Min(overTarget, year.Count * 2 / 5);
                if (k < 3)
                {
                    continue;
                }
                var allInYear = ordered.Where(d => d.Employee.Department == g.Key.Department && d.Category == g.Key.Category && policy.BudgetYearStart(d.SubmittedAt) == yearStart).ToList();
                var cutIndex = allInYear.IndexOf(year[^k]);
                budgets[g.Key] = Math.Floor(allInYear.Take(cutIndex).Sum(d => d.Amount)) + 1m;
                overTarget -= k;
            }
            return policy with { BudgetsHkd = budgets };
        }

        private int CoveredDays(DateOnly yearStart)
        {
            var from = yearStart > options.From ? yearStart : options.From;
            var end = yearStart.AddYears(1).AddDays(-1);
            var to = end < options.To ? end : options.To;
            return Math.Max(1, to.DayNumber - from.DayNumber + 1);
        }

        /// <summary>Orders by submission, assigns ids, and labels over-budget claims by replaying spend against the budgets.</summary>
        public List<LabelledClaim> Finish(RiskPolicy policy)
        {
            var ordered = _drafts.Select((d, i) => (d, i)).OrderBy(x => x.d.SubmittedAt).ThenBy(x => x.i).Select(x => x.d).ToList();
            var spent = new Dictionary<(string, string, DateOnly), decimal>();
            var result = new List<LabelledClaim>(ordered.Count);
            for (var i = 0; i < ordered.Count; i++)
            {
                var d = ordered[i];
                var key = (d.Employee.Department, d.Category, policy.BudgetYearStart(d.SubmittedAt));
                var before = spent.GetValueOrDefault(key);
                spent[key] = before + d.Amount;
                if (d.Anomaly is null && policy.BudgetsHkd.TryGetValue((d.Employee.Department, d.Category), out var budget) && before + d.Amount > budget)
                {
                    d.Anomaly = AnomalyType.OverBudget;
                }
                var facts = new ClaimFacts(
                    $"{options.ClaimIdPrefix}{i + 1:D7}", d.Employee.Id, d.Employee.Department, d.Category, d.Amount, Money.HongKongDollar,
                    d.Merchant, d.ExpenseDate, d.SubmittedAt, d.Receipts);
                result.Add(new LabelledClaim(facts, d.Anomaly, d.Detectable));
            }
            return result;
        }

        private Dictionary<(string, string), double>? _typical;

        // Geometric mean of the person's clean claims in the category.
        private double Typical(SyntheticEmployee e, string category)
        {
            _typical ??= _drafts.Take(_cleanCount)
                .GroupBy(d => (d.Employee.Id, d.Category))
                .ToDictionary(g => g.Key, g => Math.Exp(g.Average(d => Math.Log((double)d.Amount))));
            return _typical.GetValueOrDefault((e.Id, category), 100);
        }

        private double Personal(SyntheticEmployee e) => _personal.GetValueOrDefault(e.Id, 1.0);

        private bool Chance(double p) => _rng.NextDouble() < p;

        private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

        private double Normal()
        {
            var u1 = 1.0 - _rng.NextDouble();
            var u2 = _rng.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }

        private double LogNormal(double median, double sigma) => median * Math.Exp(sigma * Normal());

        private static decimal RoundTo(double value, decimal step) =>
            Math.Max(step, Math.Round((decimal)value / step, MidpointRounding.AwayFromZero) * step);
    }

}
