namespace Reimburse.Core.Company;

/// <summary>Roles a user can hold; a user may hold several.</summary>
public enum Role { Employee, Approver, Finance, Auditor, Admin }

/// <summary>A person in the company directory.</summary>
/// <param name="Office">The office they work from (its calendar counts their working time); null: the company's.</param>
/// <param name="Phone">Mobile number in E.164 (<c>+85291234567</c>) for SMS and call reminders; null: none.</param>
/// <param name="Language">"zh-HK" or "en": the language of their SMS and voice calls.</param>
public sealed record User(
    string Id,
    string Name,
    string? NameZh,
    string Email,
    string Department,
    IReadOnlySet<Role> Roles,
    string? Manager,
    IReadOnlySet<string> FinanceDepartments,
    string? Office = null,
    string? Phone = null,
    string Language = "en")
{
    public bool Has(Role role) => Roles.Contains(role);
}

/// <summary>A department and its head.</summary>
public sealed record Department(string Id, string Name, string? NameZh, string? Head);

/// <summary>An expense category with its per-claim limit (base currency) and receipt rule.</summary>
public sealed record Category(string Id, string Name, string? NameZh, decimal Limit, decimal ReceiptRequiredOver, IReadOnlyList<string> Aliases);

/// <summary>An approved vendor and the categories it may be claimed under.</summary>
public sealed record Vendor(string Name, string? NameZh, IReadOnlyList<string> Categories);

/// <summary>Annual budget of one department for one category (base currency).</summary>
public sealed record Budget(string Department, string Category, decimal Amount);

/// <summary>The company: who works there, what can be claimed, from whom, and within what budgets.</summary>
public sealed record CompanyDirectory(
    string Id,
    string Name,
    string? NameZh,
    string BaseCurrency,
    string TimeZone,
    IReadOnlyList<Department> Departments,
    IReadOnlyList<User> Users,
    IReadOnlyList<Category> Categories,
    IReadOnlyList<Vendor> Vendors,
    IReadOnlyList<Budget> Budgets)
{
    private Dictionary<string, User>? _users;
    private Dictionary<string, Category>? _categories;

    public User? FindUser(string id) =>
        (_users ??= Users.ToDictionary(u => u.Id, StringComparer.Ordinal)).GetValueOrDefault(id);

    public User? FindUserByEmail(string email) =>
        Users.FirstOrDefault(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));

    /// <summary>Finds a category by id or alias, case-insensitively.</summary>
    public Category? FindCategory(string idOrAlias)
    {
        _categories ??= Categories
            .SelectMany(c => c.Aliases.Append(c.Id).Select(k => (k, c)))
            .ToDictionary(x => Text.TextNormalizer.Normalize(x.k), x => x.c, StringComparer.Ordinal);
        return _categories.GetValueOrDefault(Text.TextNormalizer.Normalize(idOrAlias));
    }

    public Department? FindDepartment(string id) => Departments.FirstOrDefault(d => d.Id == id);

    /// <summary>Vendor whose English or Chinese name matches, ignoring case, spaces and punctuation.</summary>
    public Vendor? FindVendor(string merchant)
    {
        var key = NormalizeVendor(merchant);
        if (key.Length == 0)
        {
            return null;
        }
        return Vendors.FirstOrDefault(v => NormalizeVendor(v.Name) == key || (v.NameZh is not null && NormalizeVendor(v.NameZh) == key));
    }

    /// <summary>Lower-case letters and digits only (CJK kept), for vendor matching: the normaliser's match key, so
    /// full-width forms, invisible characters and look-alike letters do not hide a vendor.</summary>
    public static string NormalizeVendor(string name) => Text.TextNormalizer.MatchKey(name);
}
