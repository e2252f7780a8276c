using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions;

/// <summary>The isolated worker: the Functions host owns triggers and scale-out; ASP.NET Core integration serves HTTP.</summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddReimburse(builder.Configuration, builder.Environment);
        builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults(); // function invocations join the host's traces
        builder.Build().Run();
    }
}
