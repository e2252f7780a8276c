using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Reimburse.Scripts.Tests;

/// <summary>One run of a repository script (bash), its output collected, on its own free ports and data folder.</summary>
public sealed class ScriptProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _dataDirectory;

    private ScriptProcess(Process process, string dataDirectory)
    {
        _process = process;
        _dataDirectory = dataDirectory;
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="script"/> from the repository root with the given environment on top of the current one.</summary>
    public static ScriptProcess Start(string script, IReadOnlyDictionary<string, string> environment)
    {
        var data = Path.Combine(Path.GetTempPath(), "reimburse-script-" + Guid.NewGuid().ToString("N"));
        var psi = new ProcessStartInfo("bash", script)
        {
            WorkingDirectory = RepoRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["REIMBURSE_DATA"] = data;
        // A lingering MSBuild node would hold the script's output pipe open after it exits.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {script}.");
        var script1 = new ScriptProcess(process, data);
        process.OutputDataReceived += (_, e) => script1.Append(e.Data);
        process.ErrorDataReceived += (_, e) => script1.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return script1;
    }

    /// <summary>Waits for the script to end; its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Waits until the output holds <paramref name="text"/>; fails early if the script ends first.</summary>
    public async Task WaitForOutputAsync(string text, CancellationToken cancellationToken)
    {
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await Task.Delay(200, cancellationToken); // the last lines may still be on their way
                Assert.Fail($"The script exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>SIGTERM, as a service manager would stop it; the script then stops its children.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit(5_000);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Free ports for the app and the three Azurite services, so a test never meets a developer's own run.</summary>
    public static Dictionary<string, string> FreePorts() => new()
    {
        ["REIMBURSE_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["REIMBURSE_BLOB_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["REIMBURSE_QUEUE_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["REIMBURSE_TABLE_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Terminate();
            if (!_process.WaitForExit(15_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (Serverless.sln) not found above " + AppContext.BaseDirectory);
    }
}
