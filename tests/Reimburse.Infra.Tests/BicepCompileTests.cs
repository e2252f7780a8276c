namespace Reimburse.Infra.Tests;

/// <summary>Every file under infra/ compiles and lints with no diagnostic at all: bicep reports type errors such as an
/// unknown property only as warnings with exit code 0, so any line on stderr fails.</summary>
public sealed class BicepCompileTests
{
    public static TheoryData<string> BicepFiles() => new(Bicep.Files());

    [Fact]
    public void Files_InfraFolder_HoldsTheTemplates()
    {
        Assert.True(File.Exists(Bicep.ExecutablePath), $"bicep not found at {Bicep.ExecutablePath}");
        Assert.Contains("main.bicep", Bicep.Files());
        Assert.Contains("audit-anchors.bicep", Bicep.Files());
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Build_BicepFile_NoDiagnostics(string file)
    {
        var (exit, stdout, stderr) = await Bicep.RunAsync("build", file, "--stdout");

        Assert.True(exit == 0, $"bicep build {file} exited {exit}:\n{stderr}");
        Assert.True(stderr.Trim().Length == 0, $"bicep build {file} reported:\n{stderr}");
        Assert.StartsWith("{", stdout.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Lint_BicepFile_NoDiagnostics(string file)
    {
        var (exit, stdout, stderr) = await Bicep.RunAsync("lint", file);

        Assert.True(exit == 0, $"bicep lint {file} exited {exit}:\n{stdout}{stderr}");
        Assert.True((stdout + stderr).Trim().Length == 0, $"bicep lint {file} reported:\n{stdout}{stderr}");
    }

    /// <summary>The check above is only worth something if a type warning really shows on stderr with exit code 0.</summary>
    [Fact]
    public async Task Build_UnknownProperty_WarnsOnStderrWithExitZero()
    {
        var dir = Directory.CreateTempSubdirectory("bicep-check-");
        try
        {
            var file = Path.Combine(dir.FullName, "bad.bicep");
            await File.WriteAllTextAsync(file, """
                resource s 'Microsoft.Storage/storageAccounts@2024-01-01' = {
                  name: 'stbadexample'
                  location: 'eastasia'
                  sku: { name: 'Standard_LRS' }
                  kind: 'StorageV2'
                  properties: { notAProperty: true }
                }
                """);

            var (exit, _, stderr) = await Bicep.RunAsync("build", file, "--stdout");

            Assert.Equal(0, exit);
            Assert.Contains("Warning BCP037", stderr, StringComparison.Ordinal);
            Assert.Contains("notAProperty", stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
