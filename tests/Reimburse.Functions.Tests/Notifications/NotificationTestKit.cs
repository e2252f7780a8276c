using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Notifications;

namespace Reimburse.Tests.Notifications;

/// <summary>A request as the loopback server saw it: exact body bytes included.</summary>
public sealed record RecordedRequest(string Method, string Path, IQueryCollection Query, IHeaderDictionary Headers, byte[] Body);

/// <summary>A real HTTP server on 127.0.0.1 that records requests and answers with the given responder.</summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public Uri BaseAddress { get; }

    private LoopbackHttpServer(WebApplication app, Uri baseAddress) { _app = app; BaseAddress = baseAddress; }

    public static async Task<LoopbackHttpServer> StartAsync(Func<RecordedRequest, (int Status, string Body, string? Location)> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        LoopbackHttpServer? self = null;
        app.Run(async context =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            // Kestrel reuses its header and query objects after the request: keep copies.
            var headers = new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase));
            var query = new QueryCollection(context.Request.Query.ToDictionary(q => q.Key, q => q.Value));
            var recorded = new RecordedRequest(context.Request.Method, context.Request.Path, query, headers, buffer.ToArray());
            self!.Requests.Enqueue(recorded);
            var (status, body, location) = respond(recorded);
            context.Response.StatusCode = status;
            if (location is not null) context.Response.Headers.Location = location;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new LoopbackHttpServer(app, new Uri(address));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A clock that jumps forward whenever someone waits on it, so rate limits are tested without real waiting.</summary>
public sealed class AutoAdvanceClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private readonly Lock _gate = new();

    public override DateTimeOffset GetUtcNow() { lock (_gate) return _now; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_gate) _now += dueTime;
            ThreadPool.QueueUserWorkItem(_ => callback(state));
        }
        return new NoTimer();
    }

    private sealed class NoTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A loopback SMTP server that records the whole conversation and the (un-dot-stuffed) DATA of each message.</summary>
public sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackSmtpServer(string extensions = "AUTH PLAIN LOGIN")
    {
        Extensions = extensions;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public string Extensions { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    /// <summary>Client lines in order (commands and raw DATA lines, as sent).</summary>
    public ConcurrentQueue<string> Conversation { get; } = new();
    /// <summary>Each message's DATA after the server removed dot-stuffing (CRLF line ends).</summary>
    public ConcurrentQueue<string> Messages { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); } catch (OperationCanceledException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, new UTF8Encoding(false));
        async Task Say(string s) { await stream.WriteAsync(Encoding.UTF8.GetBytes(s + "\r\n")); }
        await Say("220 loopback ESMTP");
        while (await reader.ReadLineAsync() is { } line)
        {
            Conversation.Enqueue(line);
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await Say(Extensions.Length > 0 ? "250-loopback\r\n250 " + Extensions : "250 loopback");
                    break;
                case "AUTH":
                    await Say(line.StartsWith("AUTH LOGIN", StringComparison.OrdinalIgnoreCase) ? "334 VXNlcm5hbWU6" : "235 ok");
                    if (line.StartsWith("AUTH LOGIN", StringComparison.OrdinalIgnoreCase))
                    {
                        Conversation.Enqueue(await reader.ReadLineAsync() ?? ""); await Say("334 UGFzc3dvcmQ6");
                        Conversation.Enqueue(await reader.ReadLineAsync() ?? ""); await Say("235 ok");
                    }
                    break;
                case "DATA":
                    await Say("354 go ahead");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync() is { } d && d != ".")
                    {
                        Conversation.Enqueue(d);
                        data.Append(d.StartsWith('.') ? d[1..] : d).Append("\r\n");
                    }
                    Messages.Enqueue(data.ToString());
                    await Say("250 queued");
                    break;
                case "QUIT":
                    await Say("221 bye");
                    return;
                case "STARTTLS":
                    await Say("454 not here");
                    break;
                default:
                    await Say("250 ok");
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (Exception) { /* stopping */ }
    }
}

/// <summary>Builders shared by the notification tests.</summary>
public static class NotificationTestData
{
    public static OutgoingNotification Approval(string? key = null, params NotificationLink[] links) => new(
        key ?? "test-" + Guid.NewGuid().ToString("N"), "CLM-0001", ["mgr-wong"], "approval-requested",
        new Dictionary<string, string> { ["claimId"] = "CLM-0001", ["claimant"] = "emp-chan", ["amount"] = "HKD 6,200.00", ["stepName"] = "line-manager", ["reason"] = "line manager" },
        links);

    public static ChannelDelivery Delivery(OutgoingNotification? n = null)
    {
        n ??= Approval();
        return new ChannelDelivery(n, NotificationRenderer.Render(n), [new NotificationRecipient("mgr-wong", "Wong Ka Ming 黃家明", "mgr.wong@harbour.example")]);
    }

    public static IOptions<NotificationOptions> Options(Action<NotificationOptions> configure)
    {
        var o = new NotificationOptions();
        configure(o);
        return Microsoft.Extensions.Options.Options.Create(o);
    }
}
