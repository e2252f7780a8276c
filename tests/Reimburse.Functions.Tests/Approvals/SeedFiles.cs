using System.Runtime.CompilerServices;
using Reimburse.Core.Company;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Reimburse.Functions.Tests.Approvals;

/// <summary>Finds seed/harbour-trading and reads company.yaml into the Core directory model (test-only reader).</summary>
internal static class SeedFiles
{
    public static string Directory { get; } = Find();

    public static string PolicyYaml => File.ReadAllText(Path.Combine(Directory, "policy.yaml"));

    public static CompanyDirectory Company { get; } = ReadCompany(Path.Combine(Directory, "company.yaml"));

    // Looks above the test binaries, then above this source file (for builds outside the repository tree).
    private static string Find([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "seed", "harbour-trading");
                if (File.Exists(Path.Combine(candidate, "policy.yaml")))
                {
                    return candidate;
                }
            }
        }
        throw new InvalidOperationException("seed/harbour-trading not found above " + AppContext.BaseDirectory);
    }

    private static CompanyDirectory ReadCompany(string path)
    {
        var dto = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .IgnoreUnmatchedProperties()
            .Build()
            .Deserialize<CompanyDto>(File.ReadAllText(path));
        return new CompanyDirectory(
            dto.Id, dto.Name, dto.NameZh, dto.BaseCurrency, dto.TimeZone,
            dto.Departments.Select(d => new Department(d.Id, d.Name, d.NameZh, d.Head)).ToList(),
            dto.Users.Select(u => new User(
                u.Id, u.Name, u.NameZh, u.Email, u.Department,
                u.Roles.Select(r => Enum.Parse<Role>(r, ignoreCase: true)).ToHashSet(),
                u.Manager,
                u.FinanceDepartments.ToHashSet())).ToList(),
            dto.Categories.Select(c => new Category(c.Id, c.Name, c.NameZh, c.Limit, c.ReceiptRequiredOver, c.Aliases)).ToList(),
            [],
            []);
    }

    private sealed class CompanyDto
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? NameZh { get; set; }
        public string BaseCurrency { get; set; } = "";
        public string TimeZone { get; set; } = "";
        public List<DepartmentDto> Departments { get; set; } = [];
        public List<UserDto> Users { get; set; } = [];
        public List<CategoryDto> Categories { get; set; } = [];
    }

    private sealed class DepartmentDto
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? NameZh { get; set; }
        public string? Head { get; set; }
    }

    private sealed class UserDto
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? NameZh { get; set; }
        public string Email { get; set; } = "";
        public string Department { get; set; } = "";
        public List<string> Roles { get; set; } = [];
        public string? Manager { get; set; }
        public List<string> FinanceDepartments { get; set; } = [];
    }

    private sealed class CategoryDto
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string? NameZh { get; set; }
        public decimal Limit { get; set; }
        public decimal ReceiptRequiredOver { get; set; }
        public List<string> Aliases { get; set; } = [];
    }
}
