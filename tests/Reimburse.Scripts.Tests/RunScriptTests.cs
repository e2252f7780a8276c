using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Reimburse.Scripts.Tests;

/// <summary>./run.sh run for real: it names a taken port before starting anything, and says which child ended.</summary>
public sealed partial class RunScriptTests
{
    [Theory]
    [InlineData("REIMBURSE_PORT")]
    [InlineData("REIMBURSE_BLOB_PORT")]
    [InlineData("REIMBURSE_QUEUE_PORT")]
    [InlineData("REIMBURSE_TABLE_PORT")]
    public async Task RunSh_PortTaken_ExitsNamingPortAndVariable(string variable)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var taken = ((IPEndPoint)listener.LocalEndpoint).Port;
        var environment = ScriptProcess.FreePorts();
        environment[variable] = taken.ToString(CultureInfo.InvariantCulture);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using var script = ScriptProcess.Start("run.sh", environment);
        var exitCode = await script.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"Port {taken} ", script.Output, StringComparison.Ordinal);
        Assert.Contains($"{variable}) is already in use", script.Output, StringComparison.Ordinal);
        Assert.Contains($"Held by pid {Environment.ProcessId}:", script.Output, StringComparison.Ordinal);
        Assert.Matches($@"Or run on other ports:  {variable}=\d+ \./run\.sh", script.Output);
        Assert.DoesNotContain("Building", script.Output, StringComparison.Ordinal);
    }

    // The one test that starts everything (build, Azurite, the app with the demo company): slow on a busy machine.
    [Fact]
    public async Task RunSh_AppKilled_SaysWhichChildExitedAndStopsAzurite()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        using var script = ScriptProcess.Start("run.sh", ScriptProcess.FreePorts());
        await script.WaitForOutputAsync("Press Ctrl-C to stop.", timeout.Token);
        var appPid = int.Parse(AppPid().Match(script.Output).Groups[1].Value, CultureInfo.InvariantCulture);
        var azuritePid = int.Parse(AzuritePid().Match(script.Output).Groups[1].Value, CultureInfo.InvariantCulture);

        using (var app = Process.GetProcessById(appPid))
        {
            app.Kill();
        }
        var exitCode = await script.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, exitCode);
        Assert.Contains($"The app (pid {appPid}) was killed by signal KILL", script.Output, StringComparison.Ordinal);
        Assert.Contains("Stopping Azurite.", script.Output, StringComparison.Ordinal);
        Assert.False(ScriptProcess.IsRunning(azuritePid), "run.sh left Azurite running:\n" + script.Output);
    }

    [GeneratedRegex(@"App: .*\(pid (\d+),")]
    private static partial Regex AppPid();

    [GeneratedRegex(@"Azurite: .*\(pid (\d+),")]
    private static partial Regex AzuritePid();
}
