using Reimburse.Functions.Hosting;

namespace Reimburse.LocalHost;

/// <summary>Runs Reimburse.Functions without the Functions host: the same services, the SDK-generated
/// functions.metadata and the same host.json. For ./run.sh and the tests.</summary>
public sealed class Program
{
    public static void Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var metadata = builder.AddFunctionsHost();
        builder.Services.AddReimburse(builder.Configuration, builder.Environment);

        var app = builder.Build();
        app.MapFunctions(metadata);
        app.Run();
    }
}
