using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Reimburse.Functions.OpenApi;

/// <summary>The Power Platform custom connector files (connector/apiDefinition.swagger.json, connector/apiProperties.json),
/// generated from the same <see cref="OpenApiDocumentBuilder"/> document: its operations for a flow, written as Swagger 2.0
/// by Microsoft.OpenApi, plus the connector's <c>x-ms-*</c> extensions (the "claim approved" webhook trigger).</summary>
public static class PowerAutomateConnector
{
    /// <summary>Actions and the trigger the connector offers, by operation id.</summary>
    public static readonly IReadOnlyDictionary<string, (string Path, string Method)> Operations = new Dictionary<string, (string, string)>(StringComparer.Ordinal)
    {
        ["SubmitClaim"] = ("/api/claims", "post"),
        ["GetClaim"] = ("/api/claims/{id}", "get"),
        ["CreateWebhook"] = ("/api/admin/webhooks", "post"),
        ["DeleteWebhook"] = ("/api/admin/webhooks/{id}", "delete"),
    };

    public static async Task<string> DefinitionAsync(string host = "reimburse.example.com", CancellationToken cancellationToken = default)
    {
        var v2 = JsonNode.Parse(await OpenApiDocumentBuilder.ToJsonAsync(OpenApiDocumentBuilder.Build(), OpenApiSpecVersion.OpenApi2_0, cancellationToken))!.AsObject();
        v2["host"] = host;
        v2["basePath"] = "/";
        v2["schemes"] = new JsonArray("https");
        var paths = v2["paths"]!.AsObject();
        foreach (var path in paths.Select(p => p.Key).ToList())
        {
            var item = paths[path]!.AsObject();
            foreach (var method in item.Select(m => m.Key).ToList())
            {
                if (!Operations.Values.Contains((path, method)))
                {
                    item.Remove(method);
                }
            }
            if (!item.Any(m => m.Key is "get" or "post" or "put" or "delete" or "patch"))
            {
                paths.Remove(path);
            }
        }
        // A flow sends JSON; the form bodies are for browsers.
        var submit = paths["/api/claims"]!["post"]!.AsObject();
        submit["consumes"] = new JsonArray("application/json");
        submit["produces"] = new JsonArray("application/json");
        if (submit["parameters"] is JsonArray ps)
        {
            foreach (var p in ps.OfType<JsonObject>().Where(p => p["in"]?.GetValue<string>() == "formData").ToList())
            {
                ps.Remove(p);
            }
        }
        paths["/api/claims/{id}"]!["get"]!["produces"] = new JsonArray("application/json");

        // The trigger: Power Automate registers its callback URL as the subscriber and deletes it (Location) when the flow is off.
        var trigger = paths["/api/admin/webhooks"]!["post"]!.AsObject();
        trigger["x-ms-trigger"] = "single";
        trigger["summary"] = "When a claim is approved · 申請獲批准時";
        trigger["operationId"] = "WhenClaimApproved";
        trigger["consumes"] = new JsonArray("application/json");
        trigger["produces"] = new JsonArray("application/json");
        trigger["parameters"] = new JsonArray(new JsonObject
        {
            ["name"] = "body", ["in"] = "body", ["required"] = true,
            ["schema"] = new JsonObject
            {
                ["type"] = "object",
                ["required"] = new JsonArray("url", "events"),
                ["properties"] = new JsonObject
                {
                    ["url"] = new JsonObject { ["type"] = "string", ["x-ms-notification-url"] = true, ["x-ms-visibility"] = "internal", ["description"] = "Callback URL" },
                    ["events"] = new JsonObject
                    {
                        ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" }, ["default"] = new JsonArray("approved"), ["x-ms-visibility"] = "internal",
                        ["description"] = "Events",
                    },
                },
            },
        });
        trigger["responses"]!["201"]!["schema"] = new JsonObject
        {
            ["type"] = "object", ["description"] = "CloudEvents 1.0 event 事件",
            ["properties"] = new JsonObject
            {
                ["id"] = new JsonObject { ["type"] = "string" }, ["type"] = new JsonObject { ["type"] = "string" },
                ["subject"] = new JsonObject { ["type"] = "string", ["description"] = "Claim id 申請編號" },
                ["time"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                ["data"] = new JsonObject
                {
                    ["type"] = "object",
                    ["properties"] = new JsonObject
                    {
                        ["claimId"] = new JsonObject { ["type"] = "string" }, ["status"] = new JsonObject { ["type"] = "string" },
                        ["claimantId"] = new JsonObject { ["type"] = "string" }, ["url"] = new JsonObject { ["type"] = "string" },
                    },
                },
            },
        };
        paths["/api/admin/webhooks/{id}"]!["delete"]!["x-ms-visibility"] = "internal";
        v2["securityDefinitions"] = new JsonObject
        {
            ["bearer"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "Authorization", ["description"] = "Bearer token: 'Bearer <token>'" },
        };
        v2["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() });
        foreach (var op in paths.SelectMany(p => p.Value!.AsObject()).Select(m => m.Value).OfType<JsonObject>())
        {
            op.Remove("security");
        }
        // Definitions the kept operations no longer reference would be noise (and lint warnings).
        var text = v2.ToJsonString();
        var definitions = v2["definitions"]!.AsObject();
        foreach (var name in definitions.Select(d => d.Key).ToList())
        {
            var others = new JsonObject(definitions.Where(d => d.Key != name).Select(d => KeyValuePair.Create(d.Key, d.Value?.DeepClone())));
            var rest = new JsonObject(v2.Where(p => p.Key != "definitions").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
            if (!rest.ToJsonString().Contains($"\"#/definitions/{name}\"", StringComparison.Ordinal) && !others.ToJsonString().Contains($"\"#/definitions/{name}\"", StringComparison.Ordinal))
            {
                definitions.Remove(name);
            }
        }
        v2.Remove("tags");
        _ = text;
        return v2.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    public static string Properties() => JsonSerializer.Serialize(new
    {
        properties = new
        {
            connectionParameters = new
            {
                api_key = new
                {
                    type = "securestring",
                    uiDefinition = new { displayName = "Bearer token", description = "'Bearer ' followed by the API token", tooltip = "Reimburse API token", constraints = new { tabIndex = 2, clearText = false, required = "true" } },
                },
            },
            iconBrandColor = "#0F6CBD",
            capabilities = Array.Empty<string>(),
            publisher = "Reimburse",
            stackOwner = "Reimburse",
        },
    }, new JsonSerializerOptions { WriteIndented = true }) + "\n";
}
