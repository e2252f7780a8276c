using Reimburse.Core.Company;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Reimburse.Functions.Company;

/// <summary>A company file that does not make sense; the message names the line.</summary>
public sealed class CompanyConfigException(string message) : Exception(message);

/// <summary>Reads company.yaml into the directory model and checks that it hangs together.</summary>
public static class CompanyLoader
{
    public static CompanyDirectory Parse(string yaml)
    {
        CompanyYaml doc;
        try
        {
            doc = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .Build()
                .Deserialize<CompanyYaml>(yaml) ?? throw new CompanyConfigException("company.yaml is empty.");
        }
        catch (YamlException ex)
        {
            throw new CompanyConfigException($"company.yaml line {ex.Start.Line}, column {ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}");
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(doc.Id)) errors.Add("id is required");
        var departments = (doc.Departments ?? []).Select(d => new Department(d.Id ?? "", d.Name ?? d.Id ?? "", d.NameZh, d.Head)).ToList();
        var users = new List<User>();
        foreach (var u in doc.Users ?? [])
        {
            var roles = new HashSet<Role>();
            foreach (var r in u.Roles ?? ["employee"])
            {
                if (Enum.TryParse<Role>(r, ignoreCase: true, out var role)) roles.Add(role);
                else errors.Add($"user {u.Id}: unknown role '{r}'");
            }
            if (u.Phone is not null && PhoneNumber.Validate(u.Phone) is { } phoneError) errors.Add($"user {u.Id}: {phoneError}");
            if (u.Language is not null and not ("en" or "zh-HK")) errors.Add($"user {u.Id}: language must be en or zh-HK");
            users.Add(new User(u.Id ?? "", u.Name ?? u.Id ?? "", u.NameZh, u.Email ?? "", u.Department ?? "", roles, u.Manager,
                new HashSet<string>(u.FinanceDepartments ?? [], StringComparer.Ordinal), u.Office, u.Phone, u.Language ?? "en"));
        }
        var categories = (doc.Categories ?? []).Select(c => new Category(c.Id ?? "", c.Name ?? c.Id ?? "", c.NameZh, c.Limit, c.ReceiptRequiredOver, c.Aliases ?? [])).ToList();
        var vendors = (doc.Vendors ?? []).Select(v => new Vendor(v.Name ?? "", v.NameZh, v.Categories ?? [])).ToList();
        var budgets = (doc.Budgets ?? []).Select(b => new Budget(b.Department ?? "", b.Category ?? "", b.Amount)).ToList();

        var userIds = users.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        var deptIds = departments.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var catIds = categories.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var dup in users.GroupBy(u => u.Id).Where(g => g.Count() > 1)) errors.Add($"user id '{dup.Key}' appears more than once");
        foreach (var u in users)
        {
            if (string.IsNullOrWhiteSpace(u.Id)) errors.Add("a user has no id");
            if (!deptIds.Contains(u.Department)) errors.Add($"user {u.Id}: unknown department '{u.Department}'");
            if (u.Manager is not null && !userIds.Contains(u.Manager)) errors.Add($"user {u.Id}: unknown manager '{u.Manager}'");
            if (u.Manager == u.Id) errors.Add($"user {u.Id}: is their own manager");
            foreach (var fd in u.FinanceDepartments.Where(fd => !deptIds.Contains(fd))) errors.Add($"user {u.Id}: unknown finance department '{fd}'");
        }
        foreach (var d in departments.Where(d => d.Head is not null && !userIds.Contains(d.Head))) errors.Add($"department {d.Id}: unknown head '{d.Head}'");
        foreach (var c in categories.Where(c => c.Limit <= 0)) errors.Add($"category {c.Id}: limit must be positive");
        foreach (var v in vendors) foreach (var c in v.Categories.Where(c => !catIds.Contains(c))) errors.Add($"vendor {v.Name}: unknown category '{c}'");
        foreach (var b in budgets)
        {
            if (!deptIds.Contains(b.Department)) errors.Add($"budget: unknown department '{b.Department}'");
            if (!catIds.Contains(b.Category)) errors.Add($"budget: unknown category '{b.Category}'");
        }
        if (errors.Count > 0)
        {
            throw new CompanyConfigException("company.yaml is invalid: " + string.Join("; ", errors));
        }

        return new CompanyDirectory(doc.Id!, doc.Name ?? doc.Id!, doc.NameZh, doc.BaseCurrency ?? "HKD", doc.TimeZone ?? "Asia/Hong_Kong",
            departments, users, categories, vendors, budgets);
    }

    private sealed class CompanyYaml
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? NameZh { get; set; }
        public string? BaseCurrency { get; set; }
        public string? TimeZone { get; set; }
        public List<DepartmentYaml>? Departments { get; set; }
        public List<UserYaml>? Users { get; set; }
        public List<CategoryYaml>? Categories { get; set; }
        public List<VendorYaml>? Vendors { get; set; }
        public List<BudgetYaml>? Budgets { get; set; }
    }

    private sealed class DepartmentYaml { public string? Id { get; set; } public string? Name { get; set; } public string? NameZh { get; set; } public string? Head { get; set; } }

    private sealed class UserYaml
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? NameZh { get; set; }
        public string? Email { get; set; }
        public string? Department { get; set; }
        public List<string>? Roles { get; set; }
        public string? Manager { get; set; }
        public List<string>? FinanceDepartments { get; set; }
        public string? Office { get; set; }
        public string? Phone { get; set; }
        public string? Language { get; set; }
    }

    private sealed class CategoryYaml
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? NameZh { get; set; }
        public decimal Limit { get; set; }
        public decimal ReceiptRequiredOver { get; set; }
        public List<string>? Aliases { get; set; }
    }

    private sealed class VendorYaml { public string? Name { get; set; } public string? NameZh { get; set; } public List<string>? Categories { get; set; } }

    private sealed class BudgetYaml { public string? Department { get; set; } public string? Category { get; set; } public decimal Amount { get; set; } }
}
