using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reimburse.Storage;

namespace Reimburse.Tests;

/// <summary>A request the loopback server saw.</summary>
internal sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>Kestrel on 127.0.0.1 with a scripted handler; records every request. Optional https with a throwaway self-signed certificate.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly X509Certificate2? _certificate;

    private LoopbackServer(WebApplication app, X509Certificate2? certificate, Uri baseUri)
    {
        _app = app;
        _certificate = certificate;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, int, Task> handler, bool https = false, CancellationToken cancellationToken = default)
    {
        var certificate = https ? CreateCertificate() : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        var app = builder.Build();
        LoopbackServer? server = null;
        var count = 0;
        app.Run(async context =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            server!.Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Features.Get<IHttpRequestFeature>()!.RawTarget, headers, body.ToArray()));
            await handler(context, Interlocked.Increment(ref count));
        });
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new LoopbackServer(app, certificate, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
        return server;
    }

    /// <summary>Endpoint for account "acct" on this server, path-style like Azurite.</summary>
    public Uri Endpoint => new(BaseUri, "/acct");

    /// <summary>Client options trusting only this server's certificate, with fast retries.</summary>
    public StorageClientOptions Options(int maxRetries = 3)
    {
        var options = new StorageClientOptions();
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(5);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(20);
        if (_certificate is not null)
        {
            var thumbprint = _certificate.Thumbprint;
#pragma warning disable CA2000 // the transport owns the handler for the client's lifetime
            options.Transport = new HttpClientTransport(new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint,
            });
#pragma warning restore CA2000
        }
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate?.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Re-import through PFX so Kestrel gets a key it can use on every platform.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
    }
}
