using System.Diagnostics;
using System.Net.Http.Headers;
using Reimburse.Testing;

namespace Reimburse.Tests.Infrastructure;

/// <summary>The app as a real OS process (dotnet Reimburse.LocalHost.dll) on a loopback port: what kill -9 tests need.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private Process? _process;

    public AppProcess(string connectionString, string prefix, Dictionary<string, string>? extra = null)
    {
        Port = AzuriteInstance.FreePort();
        Prefix = prefix;
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}",
            ["Reimburse__Storage__ConnectionString"] = connectionString,
            ["Reimburse__Storage__ResourcePrefix"] = prefix,
            ["Reimburse__Seed__Demo"] = "true",
            // A fixed key so tokens survive a restart, as they would with a configured key in a real deployment.
            ["Reimburse__Identity__DevTokenKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray()),
            ["LocalHost__MinPollMilliseconds"] = "20",
            ["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"] = "00:00:00.100",
            ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:00",
            ["Reimburse__Standalone__RetryBaseMilliseconds"] = "100",
            ["Logging__LogLevel__Default"] = "Warning",
            // A killed process's orchestration and activity messages (and its partition lease) come back to the next
            // process after their visibility timeout (host.json: 1 min): short here so kill -9 tests recover in seconds.
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:00:10",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:10",
        };
        foreach (var (k, v) in extra ?? [])
        {
            _environment[k] = v;
        }
    }

    public int Port { get; }
    public string Prefix { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>True once the process has ended (or was never started).</summary>
    public bool HasExited => _process?.HasExited ?? true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Reimburse.LocalHost.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\"")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in _environment)
        {
            psi.Environment[k] = v;
        }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = BaseAddress };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with {_process.ExitCode} during start-up.");
            try
            {
                if ((await http.GetAsync("/healthz", cancellationToken)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>kill -9: no shutdown hooks, no flushing, exactly like a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public long WorkingSetBytes()
    {
        _process!.Refresh();
        return _process.WorkingSet64;
    }

    public async Task<HttpClient> ClientForAsync(string userId, CancellationToken cancellationToken)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        var token = await ReimburseApp.TokenAsync(client, userId, cancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
