namespace Reimburse.Functions.Hosting;

/// <summary>Whether the Azure Functions host drives the triggers, or the app drives them itself.</summary>
public static class HostingMode
{
    /// <summary>The port the Functions host tells a custom handler to listen on (current and legacy names).</summary>
    public static int? FunctionsHostPort(IConfiguration configuration)
    {
        var value = configuration["FUNCTIONS_CUSTOMHANDLER_PORT"] ?? configuration["FUNCTIONS_HTTPWORKER_PORT"];
        return int.TryParse(value, out var port) && port is > 0 and < 65536 ? port : null;
    }

    public static bool UnderFunctionsHost(IConfiguration configuration) => FunctionsHostPort(configuration) is not null;
}
