using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Reimburse.Functions.Audit;
using Reimburse.Functions.Hosting;

namespace Reimburse.Bench;

/// <summary>`verify-audit --connection "…" [--prefix p] [--from t] [--to t]`: verifies the audit chains and digests by reading
/// storage directly — for an auditor who does not trust the running app. Exit code 0 intact, 1 broken, 2 usage.</summary>
public sealed class VerifyAuditCommand : IBenchmark
{
    public string Name => "verify-audit";
    public string Description => "verify audit chains + digests straight from storage (--connection, --prefix, --from, --to)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var connection = Arg("--connection") ?? Environment.GetEnvironmentVariable("Reimburse__Storage__ConnectionString");
        var account = Arg("--account");
        if (connection is null && account is null)
        {
            Console.Error.WriteLine("usage: verify-audit --connection <storage connection string> | --account <name> (managed identity / az login)  [--prefix <resource prefix>] [--from <ISO time>] [--to <ISO time>]");
            return 2;
        }
        DateTimeOffset? Time(string name) => Arg(name) is { } v ? DateTimeOffset.Parse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal) : null;
        var storage = ReimburseStorage.Create(new StorageOptions { ConnectionString = connection, AccountName = account, ResourcePrefix = Arg("--prefix") ?? "", MaxRetries = 3, NetworkTimeoutSeconds = 120 });
        var result = await new AuditVerifier(new AuditStorage(storage)).VerifyAsync(Time("--from"), Time("--to"), cancellationToken);
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        return result.Ok ? 0 : 1;
    }
}
