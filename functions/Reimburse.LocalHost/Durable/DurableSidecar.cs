using System.Net;
using DurableTask.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace Reimburse.LocalHost.Durable;

/// <summary>The only user of Microsoft.DurableTask.InProcessTestHost (a preview package; its "Testing" namespace is
/// pinned and wrapped here): serves an orchestration engine to the official gRPC worker and client through the
/// package's sidecar <see cref="TaskHubGrpcServer"/>, on a loopback port, in a small web host of its own.</summary>
public sealed class DurableSidecar(
    Uri address,
    IOrchestrationService service,
    IOrchestrationServiceClient client,
    bool dispatch,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private WebApplication? _host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, address.Port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(client);
        builder.Services.Configure<TaskHubGrpcServerOptions>(o =>
            o.Mode = dispatch ? TaskHubGrpcServerMode.ApiServerAndDispatcher : TaskHubGrpcServerMode.ApiServerOnly);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        _host = builder.Build();
        _host.MapGrpcService<TaskHubGrpcServer>();
        await _host.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_host is not null)
        {
            await _host.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}
