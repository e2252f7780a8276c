using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Reimburse.Testing;

/// <summary>A real Azurite process on free loopback ports, started from the repo's pinned node_modules.</summary>
/// <remarks>Set REIMBURSE_TEST_STORAGE to a connection string to use an Azurite that is already running.</remarks>
public sealed class AzuriteInstance : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (documented, not a secret).</summary>
    public const string DevAccount = "devstoreaccount1";
    public const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;
    private readonly string? _location;

    private AzuriteInstance(string connectionString, Process? process, int blobPort, int queuePort, int tablePort, string? location)
    {
        ConnectionString = connectionString;
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        _location = location;
    }

    public string ConnectionString { get; }
    public int BlobPort { get; }
    public int QueuePort { get; }
    public int TablePort { get; }
    /// <summary>The emulator's process id when this instance started it (benchmarks read its CPU time).</summary>
    public int? ProcessId => _process?.Id;

    /// <summary>Starts Azurite. With a location it persists to disk (so it can be restarted on the same data).</summary>
    public static async Task<AzuriteInstance> StartAsync(string? location = null, int[]? ports = null, CancellationToken cancellationToken = default)
    {
        var external = Environment.GetEnvironmentVariable("REIMBURSE_TEST_STORAGE");
        if (location is null && ports is null && !string.IsNullOrWhiteSpace(external))
        {
            return new AzuriteInstance(external, null, 0, 0, 0, null);
        }

        var blob = ports?[0] ?? FreePort();
        var queue = ports?[1] ?? FreePort();
        var table = ports?[2] ?? FreePort();
        var bin = FindAzuriteBinary();
        var args = $"--silent --disableTelemetry --skipApiVersionCheck --loose --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort {blob} --queuePort {queue} --tablePort {table}";
        args += location is null ? " --inMemoryPersistence" : $" --location \"{location}\"";
        var psi = new ProcessStartInfo("node", $"\"{bin}\" {args}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var cs = ConnectionStringFor(blob, queue, table);
        var instance = new AzuriteInstance(cs, process, blob, queue, table, location);
        await WaitForPortsAsync(process, [blob, queue, table], cancellationToken).ConfigureAwait(false);
        return instance;
    }

    public static string ConnectionStringFor(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName={DevAccount};AccountKey={DevKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/{DevAccount};QueueEndpoint=http://127.0.0.1:{queue}/{DevAccount};TableEndpoint=http://127.0.0.1:{table}/{DevAccount};";

    /// <summary>Kills Azurite (as a crash would) without deleting its data folder.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Stops Azurite as an operator would (SIGTERM: it closes its listeners and writes its data folder), keeping
    /// the folder; falls back to a kill after 30 s.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }
        using (var term = Process.Start(new ProcessStartInfo("kill", $"-TERM {process.Id}") { UseShellExecute = false }))
        {
            if (term is not null)
            {
                await term.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
        }
    }

    /// <summary>Starts Azurite again on the same ports and data folder after <see cref="StopAsync"/> or <see cref="Kill"/>.</summary>
    public Task<AzuriteInstance> StartAgainAsync(CancellationToken cancellationToken = default) =>
        StartAsync(_location ?? throw new InvalidOperationException("Only a persistent Azurite can be restarted."), [BlobPort, QueuePort, TablePort], cancellationToken);

    /// <summary>Starts a new Azurite on the same ports and data folder.</summary>
    public Task<AzuriteInstance> RestartAsync(CancellationToken cancellationToken = default)
    {
        Kill();
        return StartAsync(_location ?? throw new InvalidOperationException("Only a persistent Azurite can be restarted."), [BlobPort, QueuePort, TablePort], cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        return ValueTask.CompletedTask;
    }

    /// <summary>A name unique to one test, valid for containers, queues and tables (lower-case letters and digits).</summary>
    public static string UniqueName(string prefix) => (prefix + Guid.NewGuid().ToString("N"))[..Math.Min(prefix.Length + 20, 60)].ToLowerInvariant();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Repository root (Serverless.sln) not found above " + AppContext.BaseDirectory);
    }

    private static string FindAzuriteBinary()
    {
        var path = Path.Combine(FindRepoRoot(), "node_modules", "azurite", "dist", "src", "azurite.js");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Azurite is not installed at {path}. Run ./test.sh (it runs npm ci).");
    }

    private static async Task WaitForPortsAsync(Process process, int[] ports, CancellationToken cancellationToken)
    {
        // Generous: on a loaded 2-core CI machine node can take a while to bring Azurite up.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        foreach (var port in ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} during start-up.");
                }
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}

/// <summary>One Azurite shared by a test collection; each test uses its own container/queue/table names.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;
    public string ConnectionString => Azurite.ConnectionString;

    public async Task InitializeAsync() => Azurite = await AzuriteInstance.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (Azurite is not null)
        {
            await Azurite.DisposeAsync().ConfigureAwait(false);
        }
    }
}


/// <summary>Per-test timeout token: integration tests never hang CI.</summary>
public static class TestTimeout
{
    public static CancellationToken Token(int seconds = 60) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
