using System.Diagnostics;
using Reimburse.Testing;

namespace Reimburse.Tests.Hosting;

/// <summary>What the Functions host needs from a deployment package.</summary>
public sealed class PublishTests
{
    [Fact]
    public async Task Publish_FunctionsApp_OutputHoldsWhatTheHostReads()
    {
        var ct = TestTimeout.Token(600);
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Serverless.sln"))) root = Path.GetDirectoryName(root)!;
        var output = Directory.CreateTempSubdirectory("reimburse-publish-").FullName;
        try
        {
            var psi = new ProcessStartInfo("dotnet", $"publish functions/Reimburse.Functions -c Release -o \"{output}\" -v q -nologo -clp:ErrorsOnly -p:WarningsNotAsErrors=NU1603")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            Assert.True(process.ExitCode == 0, await stdout + await stderr);

            foreach (var file in new[] { "functions.metadata", "worker.config.json", "extensions.json", "host.json", "Reimburse.Functions.dll" })
            {
                Assert.True(File.Exists(Path.Combine(output, file)), $"{file} is missing from the publish output");
            }
            Assert.Contains("\"routePrefix\": \"api\"", await File.ReadAllTextAsync(Path.Combine(output, "host.json"), ct));
            Assert.Contains("Reimburse.Functions.dll", await File.ReadAllTextAsync(Path.Combine(output, "worker.config.json"), ct));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
