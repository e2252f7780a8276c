using System.Text.Json;
using Reimburse.Functions.OpenApi;
using Reimburse.Testing;

namespace Reimburse.Tests.Integrations;

/// <summary>The connector files in the repository are what the code generates, and the definition is valid Swagger 2.0.
/// Regenerate them with REIMBURSE_UPDATE_CONNECTOR=1 and this test.</summary>
public sealed class PowerAutomateConnectorTests
{
    private static string Folder => Path.Combine(AzuriteInstance.FindRepoRoot(), "connector");

    [Fact]
    public async Task ConnectorFiles_InTheRepository_AreWhatTheCodeGenerates()
    {
        var definition = await PowerAutomateConnector.DefinitionAsync();
        var properties = PowerAutomateConnector.Properties();
        if (Environment.GetEnvironmentVariable("REIMBURSE_UPDATE_CONNECTOR") == "1")
        {
            Directory.CreateDirectory(Folder);
            await File.WriteAllTextAsync(Path.Combine(Folder, "apiDefinition.swagger.json"), definition);
            await File.WriteAllTextAsync(Path.Combine(Folder, "apiProperties.json"), properties);
        }

        Assert.Equal(definition, await File.ReadAllTextAsync(Path.Combine(Folder, "apiDefinition.swagger.json")));
        Assert.Equal(properties, await File.ReadAllTextAsync(Path.Combine(Folder, "apiProperties.json")));
    }

    [Fact]
    public async Task ConnectorDefinition_IsSwagger2WithTheActionsAndTheApprovedTrigger()
    {
        using var doc = JsonDocument.Parse(await PowerAutomateConnector.DefinitionAsync());
        var root = doc.RootElement;

        Assert.Equal("2.0", root.GetProperty("swagger").GetString());
        var operations = root.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).ToDictionary(o => o.Value.GetProperty("operationId").GetString()!, o => o.Value);
        Assert.Equal(["DeleteWebhook", "GetClaim", "SubmitClaim", "WhenClaimApproved"], operations.Keys.Order(StringComparer.Ordinal));
        var trigger = operations["WhenClaimApproved"];
        Assert.Equal("single", trigger.GetProperty("x-ms-trigger").GetString());
        Assert.True(trigger.GetProperty("parameters")[0].GetProperty("schema").GetProperty("properties").GetProperty("url").GetProperty("x-ms-notification-url").GetBoolean());
    }

    [Fact]
    public async Task ConnectorDefinition_LintsCleanAsSwagger2WithRedocly()
    {
        var root = AzuriteInstance.FindRepoRoot();
        var cli = Path.Combine(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
        var file = Path.Combine(Path.GetTempPath(), $"connector-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, await PowerAutomateConnector.DefinitionAsync());
        try
        {
            var (code, output) = await Redocly.LintAsync(cli, file, Path.Combine(root, "redocly.yaml"));

            Assert.True(code == 0, output);
            Assert.Contains("Woohoo! Your API description is valid", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
