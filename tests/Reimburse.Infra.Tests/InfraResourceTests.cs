using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Reimburse.Infra.Tests;

/// <summary>Compiles main.bicep (with its modules) once for the class.</summary>
public sealed class MainTemplate : IAsyncLifetime
{
    public JsonObject Template { get; private set; } = new();
    public JsonObject EventSubscription { get; private set; } = new();

    public async Task InitializeAsync()
    {
        Template = await Bicep.CompileAsync("main.bicep");
        EventSubscription = await Bicep.CompileAsync("event-subscription.bicep");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>What the deployment must declare, read from the compiled ARM template (what Azure actually receives).</summary>
public sealed class InfraResourceTests(MainTemplate main) : IClassFixture<MainTemplate>
{
    private JsonObject Single(string type) => Assert.Single(Bicep.OfType(main.Template, type));

    private JsonObject FunctionApp() =>
        Assert.Single(Bicep.OfType(main.Template, "Microsoft.Web/sites"), r => ((string?)r["kind"])?.Contains("functionapp", StringComparison.Ordinal) == true);

    private JsonObject AppSettings() =>
        Assert.Single(Bicep.OfType(main.Template, "Microsoft.Web/sites/config"), r => ((string?)r["name"])?.Contains("appsettings", StringComparison.Ordinal) == true);

    [Fact]
    public void Location_Default_IsEastAsia()
    {
        Assert.Equal("eastasia", (string?)main.Template["parameters"]!["location"]!["defaultValue"]);
        // Every resource group resource follows the parameter, none is pinned elsewhere.
        var pinned = Bicep.Resources(main.Template)
            .Select(r => (string?)r["location"])
            .Where(l => l is not null && !l.StartsWith('[') && l != "global")
            .ToList();
        Assert.Empty(pinned);
    }

    [Fact]
    public void FunctionApp_FlexConsumptionIsolatedDotnet10_SystemIdentity()
    {
        var plan = Single("Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);

        var app = FunctionApp();
        Assert.Equal("SystemAssigned", (string?)app["identity"]!["type"]);
        var config = app["properties"]!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("10.0", (string?)config["runtime"]!["version"]);
        var deployment = config["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", (string?)deployment["type"]);
        Assert.Equal("SystemAssignedIdentity", (string?)deployment["authentication"]!["type"]);
        // azd finds the service's target by this tag.
        Assert.Contains("'azd-service-name', 'api'", app["tags"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_IdentityBasedStorage_NoKeysAnywhere()
    {
        var settings = AppSettings()["properties"]!.ToJsonString();
        Assert.Contains("AzureWebJobsStorage__accountName", settings, StringComparison.Ordinal);
        Assert.Contains("Reimburse__Storage__AccountName", settings, StringComparison.Ordinal);
        Assert.DoesNotContain("\"AzureWebJobsStorage\"", settings, StringComparison.Ordinal);

        var storage = Single("Microsoft.Storage/storageAccounts");
        Assert.False((bool)storage["properties"]!["allowSharedKeyAccess"]!);
        Assert.False((bool)storage["properties"]!["allowBlobPublicAccess"]!);

        // No account key or connection string with a key is built anywhere in the templates.
        var all = main.Template.ToJsonString() + main.EventSubscription.ToJsonString();
        Assert.DoesNotMatch(new Regex("AccountKey=|listKeys\\([^)]*Microsoft.Storage", RegexOptions.IgnoreCase), all);
    }

    [Fact]
    public void RoleAssignments_AppIdentity_BlobQueueTableKeyVaultMonitoring()
    {
        // Role ids appear as literals (storage roles through a copy loop over the roles object, so search the whole
        // template) and every assignment goes to a principal.
        var assignments = Bicep.OfType(main.Template, "Microsoft.Authorization/roleAssignments");
        Assert.True(assignments.Count >= 5, $"{assignments.Count} role assignments");
        Assert.All(assignments, a => Assert.NotNull(a["properties"]!["principalId"]));
        string[] required =
        [
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
            "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
            "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
            "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
            "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
        ];
        var template = main.Template.ToJsonString();
        foreach (var id in required) Assert.Contains(id, template, StringComparison.Ordinal);
    }

    [Fact]
    public void Containers_ReceiptsInboxQuarantineModelsAnchors_Declared()
    {
        var template = main.Template.ToJsonString();
        foreach (var c in new[] { "receipts", "receipts-inbox", "receipts-quarantine", "risk-models", "audit-anchors" })
        {
            Assert.Contains($"'{c}'", template.Replace("\"", "'", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AuditAnchors_ImmutabilityPolicy_AtLeastSevenYears()
    {
        var policy = Single("Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies");
        Assert.Contains("retentionDays", policy["properties"]!["immutabilityPeriodSinceCreationInDays"]!.ToString(), StringComparison.Ordinal);
        var anchors = Assert.Single(Bicep.OfType(main.Template, "Microsoft.Resources/deployments"),
            d => d["properties"]?["template"]?["resources"] is JsonArray rs
                 && rs.Any(r => ((string?)r?["type"])?.EndsWith("/immutabilityPolicies", StringComparison.Ordinal) == true));
        var retention = anchors["properties"]!["template"]!["parameters"]!["retentionDays"]!;
        Assert.True((int)retention["defaultValue"]! >= 7 * 365 + 1, "7 years including leap days");
        Assert.True((int)retention["minValue"]! >= 7 * 365 + 1, "a shorter retention cannot be passed in");
    }

    [Fact]
    public void EventGrid_BlobCreatedInInbox_ToReceiptDroppedBlobsWebhook()
    {
        var topic = Single("Microsoft.EventGrid/systemTopics");
        Assert.Equal("Microsoft.Storage.StorageAccounts", (string?)topic["properties"]!["topicType"]);

        var subscription = Assert.Single(Bicep.OfType(main.EventSubscription, "Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        var p = subscription["properties"]!;
        Assert.Equal("WebHook", (string?)p["destination"]!["endpointType"]);
        var url = (string)p["destination"]!["properties"]!["endpointUrl"]!;
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{", url, StringComparison.Ordinal);
        Assert.Contains("blobs_extension", url, StringComparison.Ordinal);
        Assert.Equal("ReceiptDropped", (string?)main.EventSubscription["parameters"]!["functionName"]!["defaultValue"]);
        Assert.Equal("receipts-inbox", (string?)main.EventSubscription["parameters"]!["containerName"]!["defaultValue"]);
        Assert.Equal(["Microsoft.Storage.BlobCreated"], p["filter"]!["includedEventTypes"]!.AsArray().Select(e => (string?)e));
        Assert.Contains("/blobServices/default/containers/", (string)p["filter"]!["subjectBeginsWith"]!, StringComparison.Ordinal);

        // The function the webhook names is the app's Event Grid-sourced blob trigger on receipts-inbox.
        var source = File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "functions/Reimburse.Functions/Inbox/InboxFunctions.cs"));
        Assert.Contains("[Function(\"ReceiptDropped\")]", source, StringComparison.Ordinal);
        Assert.Matches(new Regex("BlobTrigger\\([^)]*Source\\s*=\\s*BlobTriggerSource.EventGrid", RegexOptions.Singleline), source);
    }

    [Fact]
    public void KeyVault_RbacVault_SecretsReachTheAppAsReferences()
    {
        var vault = Single("Microsoft.KeyVault/vaults");
        Assert.True((bool)vault["properties"]!["enableRbacAuthorization"]!);
        var template = main.Template.ToJsonString();
        Assert.Contains("@Microsoft.KeyVault(VaultName=", template, StringComparison.Ordinal);
        Assert.Contains("Reimburse__Workflow__LinkKey", template, StringComparison.Ordinal);
        Assert.Equal("SystemAssigned", (string?)FunctionApp()["properties"]!["keyVaultReferenceIdentity"]);
    }

    [Fact]
    public void Monitoring_AppInsightsOnWorkspace_ThreeAlerts()
    {
        var insights = Single("Microsoft.Insights/components");
        Assert.Contains("Microsoft.OperationalInsights/workspaces", insights["properties"]!["WorkspaceResourceId"]!.ToString(), StringComparison.Ordinal);
        var alerts = Single("Microsoft.Insights/scheduledQueryRules");
        var text = main.Template.ToJsonString();
        // The alerts query metrics the app really emits (Hosting/ReimburseTelemetry.cs).
        var telemetry = File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "functions/Reimburse.Functions/Hosting/ReimburseTelemetry.cs"));
        foreach (var metric in new[] { "reimburse.messages.poisoned", "reimburse.orchestrations.failed", "reimburse.approvals.sla_breached" })
        {
            Assert.Contains(Bicep.Strings(main.Template), v => v.Contains($"name == \"{metric}\"", StringComparison.Ordinal));
            Assert.Contains($"\"{metric}\";", telemetry, StringComparison.Ordinal);
        }
        Assert.NotNull(alerts["copy"]);
    }

    [Fact]
    public void StaticWebApp_StandardLinkedToFunctionApp()
    {
        var web = Single("Microsoft.Web/staticSites");
        Assert.Equal("Standard", (string?)web["sku"]!["name"]);
        var backend = Single("Microsoft.Web/staticSites/linkedBackends");
        Assert.Contains("Microsoft.Web/sites", backend["properties"]!["backendResourceId"]!.ToString(), StringComparison.Ordinal);
    }
}
