using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Reimburse.Bench;

/// <summary>A loopback TCP proxy in front of Azurite's blob, queue and table ports that counts every HTTP request passing
/// through it. The app's own counter sits in its Azure SDK pipeline and cannot see the Durable Task engine's requests;
/// everything that reaches storage passes here.</summary>
public sealed class StorageRequestProxy : IAsyncDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly long[] _counts = new long[3];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _byResource = new(StringComparer.Ordinal);
    private static readonly string[] Services = ["blob", "queue", "table"];

    private StorageRequestProxy() { }

    /// <summary>Connection string that sends every request through the proxy.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>Requests counted so far (blob + queue + table).</summary>
    public long Count => Interlocked.Read(ref _counts[0]) + Interlocked.Read(ref _counts[1]) + Interlocked.Read(ref _counts[2]);

    /// <summary>Requests counted so far per service.</summary>
    public (long Blob, long Queue, long Table) ByService => (Interlocked.Read(ref _counts[0]), Interlocked.Read(ref _counts[1]), Interlocked.Read(ref _counts[2]));

    /// <summary>Requests counted so far per method and resource ("GET queue:benchreimburse-control-00").</summary>
    public IReadOnlyDictionary<string, long> ByResource => new Dictionary<string, long>(_byResource);

    public static StorageRequestProxy Start(int blobPort, int queuePort, int tablePort)
    {
        var proxy = new StorageRequestProxy();
        var ports = new[] { blobPort, queuePort, tablePort }.Select((upstream, service) => proxy.Listen(upstream, service)).ToArray();
        proxy.ConnectionString = Reimburse.Testing.AzuriteInstance.ConnectionStringFor(ports[0], ports[1], ports[2]);
        return proxy;
    }

    private int Listen(int upstream, int service)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(512);
        _listeners.Add(listener);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                _ = Task.Run(() => RelayAsync(client, upstream, service));
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task RelayAsync(TcpClient client, int upstreamPort, int service)
    {
        using (client)
        using (var server = new TcpClient { NoDelay = true })
        {
            client.NoDelay = true;
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, upstreamPort, _stop.Token);
                var fromClient = client.GetStream();
                var toServer = server.GetStream();
                var up = PumpRequestsAsync(fromClient, toServer, service);
                var down = PumpAsync(toServer, fromClient);
                await Task.WhenAny(up, down);
            }
            catch (Exception)
            {
                // A connection closed by either side ends the relay; the SDKs retry on their own.
            }
        }
    }

    private async Task PumpAsync(Stream from, Stream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    /// <summary>Forwards the client's bytes unchanged while following HTTP/1.1 message framing (headers, then a
    /// Content-Length or chunked body) to count one per request.</summary>
    private async Task PumpRequestsAsync(Stream from, Stream to, int service)
    {
        var buffer = new byte[64 * 1024];
        var header = new List<byte>(4096);
        long bodyLeft = 0;
        var chunked = false;
        var chunkTail = new Queue<byte>();
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            for (var i = 0; i < read; i++)
            {
                if (bodyLeft > 0)
                {
                    var take = (int)Math.Min(bodyLeft, read - i);
                    bodyLeft -= take;
                    i += take - 1;
                    continue;
                }
                if (chunked)
                {
                    // Chunked bodies are rare here (the SDKs send Content-Length); the body ends at "\r\n0\r\n\r\n".
                    chunkTail.Enqueue(buffer[i]);
                    if (chunkTail.Count > 7) chunkTail.Dequeue();
                    if (chunkTail.Count == 7 && Encoding.ASCII.GetString([.. chunkTail]) == "\r\n0\r\n\r\n")
                    {
                        chunked = false;
                        chunkTail.Clear();
                    }
                    continue;
                }
                header.Add(buffer[i]);
                var n = header.Count;
                if (n >= 4 && header[n - 1] == '\n' && header[n - 2] == '\r' && header[n - 3] == '\n' && header[n - 4] == '\r')
                {
                    Interlocked.Increment(ref _counts[service]);
                    var head = Encoding.ASCII.GetString([.. header]);
                    _byResource.AddOrUpdate(Resource(head, service), 1, (_, c) => c + 1);
                    (bodyLeft, chunked) = Framing(head);
                    header.Clear();
                }
            }
        }
    }

    /// <summary>"METHOD service:resource" from the request line: the container, queue or table (Tables for the table list).</summary>
    private static string Resource(string head, int service)
    {
        var line = head[..Math.Max(0, head.IndexOf("\r\n", StringComparison.Ordinal))].Split(' ');
        if (line.Length < 2) return Services[service] + ":?";
        var path = line[1].Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var name = path.Length > 1 ? path[1] : "";
        var paren = name.IndexOf('(');
        if (paren >= 0) name = name[..paren];
        return $"{line[0]} {Services[service]}:{name}";
    }

    private static (long Length, bool Chunked) Framing(string head)
    {
        long length = 0;
        var chunked = false;
        foreach (var line in head.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) length = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase)) chunked = true;
        }
        return (length, chunked);
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var l in _listeners) l.Stop();
        return ValueTask.CompletedTask;
    }
}
