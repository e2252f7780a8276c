using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Reimburse.Functions.OpenApi;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;

namespace Reimburse.Tests.Integrations;

/// <summary>The OpenAPI document against what the Worker SDK generated (functions.metadata) and against a linter.</summary>
public sealed class OpenApiDocumentTests
{
    internal static async Task<JsonElement> BuildAsync()
    {
        var json = await OpenApiDocumentBuilder.ToJsonAsync(OpenApiDocumentBuilder.Build());
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static IEnumerable<(string Path, string Method)> MetadataHttpTriggers()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        foreach (var f in doc.RootElement.EnumerateArray())
        {
            foreach (var b in f.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                foreach (var m in b.GetProperty("methods").EnumerateArray())
                {
                    yield return ("/api/" + b.GetProperty("route").GetString(), m.GetString()!.ToLowerInvariant());
                }
            }
        }
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement doc) =>
        doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()
            .Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch")
            .Select(o => (p.Name, o.Name, o.Value)));

    [Fact]
    public async Task Document_EveryHttpTriggerInFunctionsMetadata_IsDocumented()
    {
        var doc = await BuildAsync();
        var documented = Operations(doc).Select(o => (o.Path, o.Method)).ToHashSet();

        var triggers = MetadataHttpTriggers().ToList();

        Assert.True(triggers.Count >= 28, $"only {triggers.Count} HTTP triggers found in functions.metadata");
        Assert.All(triggers, t => Assert.Contains(t, documented));
    }

    [Fact]
    public async Task Document_EveryDocumentedOperation_IsAnHttpTrigger()
    {
        var triggers = MetadataHttpTriggers().ToHashSet();

        var documented = Operations(await BuildAsync()).Select(o => (o.Path, o.Method)).ToList();

        Assert.All(documented, d => Assert.Contains(d, triggers));
        Assert.Equal(documented.Count, triggers.Count);
    }

    [Fact]
    public async Task Document_EveryOperation_HasIdBilingualWordsAndASuccessAnswer()
    {
        var doc = await BuildAsync();

        Assert.StartsWith("3.1.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.All(Operations(doc), o =>
        {
            var where = $"{o.Method} {o.Path}";
            Assert.False(string.IsNullOrEmpty(o.Operation.GetProperty("operationId").GetString()), where);
            var words = o.Operation.GetProperty("summary").GetString() + o.Operation.GetProperty("description").GetString();
            Assert.Matches("[A-Za-z]{3}", words);
            Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", words);
            var responses = o.Operation.GetProperty("responses").EnumerateObject().ToList();
            Assert.Contains(responses, r => r.Name.StartsWith('2'));
        });
    }

    [Fact]
    public async Task Document_EveryOperationWithAJsonAnswer_HasAnExample()
    {
        var doc = await BuildAsync();

        var withoutExample = Operations(doc)
            .Where(o => o.Operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('2') && r.Value.TryGetProperty("content", out var c) && c.TryGetProperty("application/json", out _)))
            .Where(o => !o.Operation.ToString().Contains("\"example\"", StringComparison.Ordinal))
            .Select(o => $"{o.Method} {o.Path}")
            .ToList();

        Assert.Empty(withoutExample);
    }

    [Fact]
    public async Task Document_ErrorAnswers_AreProblemDetailsWithTypeUris()
    {
        var doc = await BuildAsync();
        var problem = doc.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");

        Assert.Equal("uri", problem.GetProperty("properties").GetProperty("type").GetProperty("format").GetString());
        Assert.Contains("https://reimburse.example/problems/validation", problem.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.All(Operations(doc), o => Assert.All(o.Operation.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'), r =>
        {
            if (r.Value.TryGetProperty("content", out var content) && !content.TryGetProperty("text/html", out _))
            {
                Assert.Equal("#/components/schemas/ProblemDetails", content.GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
            }
        }));
    }

    [Fact]
    public async Task Document_SignedInOperations_DeclareBearerAndPlatformSecurity()
    {
        var doc = await BuildAsync();
        var schemes = doc.GetProperty("components").GetProperty("securitySchemes");

        Assert.Equal("bearer", schemes.GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal("X-MS-CLIENT-PRINCIPAL", schemes.GetProperty("platformSignIn").GetProperty("name").GetString());
        var claims = doc.GetProperty("paths").GetProperty("/api/claims").GetProperty("post");
        Assert.Equal(2, claims.GetProperty("security").GetArrayLength());
        Assert.Equal(0, doc.GetProperty("paths").GetProperty("/api/meta/pics").GetProperty("get").GetProperty("security").GetArrayLength());
    }

    [Fact]
    public async Task Document_LintsCleanWithRedocly()
    {
        var root = AzuriteInstance.FindRepoRoot();
        var cli = Path.Combine(root, "node_modules", "@redocly", "cli", "bin", "cli.js");
        Assert.True(File.Exists(cli), "npm ci installs @redocly/cli (package.json)");
        var file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, (await BuildAsync()).GetRawText());
        try
        {
            var (code, output) = await Redocly.LintAsync(cli, file, Path.Combine(root, "redocly.yaml"));

            Assert.True(code == 0, output);
            Assert.Contains("Woohoo! Your API description is valid", output, StringComparison.Ordinal);
            Assert.False(output.Contains("Warning was generated", StringComparison.Ordinal), output);
        }
        finally
        {
            File.Delete(file);
        }
    }

}

/// <summary>Runs the pinned Redocly CLI (npm) on a file.</summary>
internal static class Redocly
{
    public static async Task<(int Code, string Output)> LintAsync(string cli, string file, string config)
    {
        var psi = new ProcessStartInfo("node", [cli, "lint", file, "--config", config])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["REDOCLY_TELEMETRY"] = "off";
        psi.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
        psi.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>Real answers of the running app, through the real host, checked against the schema the document gives for
/// their path, method, status and content type.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OpenApiResponseTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task RealResponses_ValidateAgainstTheirDocumentedSchemas()
    {
        var ct = TestTimeout.Token(90);
        await using var app = new ReimburseApp(azurite);
        var anonymous = await app.StartAsync(ct);
        var served = await anonymous.GetAsync("/api/openapi.json", ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var doc = JsonNode.Parse(await served.Content.ReadAsStringAsync(ct))!.AsObject();
        var checker = new ResponseChecker(doc);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var wong = await app.ClientForAsync("mgr-wong", ct);
        var auditor = await app.ClientForAsync("aud-yip", ct);

        var submitted = await chan.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct);
        await checker.CheckAsync("/api/claims", "post", submitted, ct);
        var id = (await submitted.JsonAsync(ct)).GetProperty("id").GetString()!;
        await chan.WaitForStatusAsync(id, "PendingApproval", ct);
        await checker.CheckAsync("/api/claims", "post", await chan.PostAsJsonAsync("/api/claims", new { amount = "lots", currency = 7 }, ct), ct);
        await checker.CheckAsync("/api/claims", "post", await anonymous.PostAsJsonAsync("/api/claims", Api.ValidClaim(), ct), ct);
        await checker.CheckAsync("/api/claims/{id}", "get", await chan.GetAsync($"/api/claims/{id}", ct), ct);
        await checker.CheckAsync("/api/claims/{id}", "get", await chan.GetAsync("/api/claims/c-nope", ct), ct);
        await checker.CheckAsync("/api/claims", "get", await chan.GetAsync("/api/claims?pageSize=5", ct), ct);
        await checker.CheckAsync("/api/claims/{id}/workflow", "get", await chan.GetAsync($"/api/claims/{id}/workflow", ct), ct);
        await checker.CheckAsync("/api/approvals", "get", await wong.GetAsync("/api/approvals", ct), ct);
        await checker.CheckAsync("/api/me/delegations", "get", await wong.GetAsync("/api/me/delegations", ct), ct);
        await checker.CheckAsync("/api/meta/pics", "get", await anonymous.GetAsync("/api/meta/pics", ct), ct);
        await checker.CheckAsync("/api/me/export", "get", await chan.GetAsync("/api/me/export", ct), ct);
        await checker.CheckAsync("/api/audit", "get", await auditor.GetAsync($"/api/audit?claimId={id}", ct), ct);
        await checker.CheckAsync("/api/audit", "get", await auditor.GetAsync("/api/audit?outcome=Maybe", ct), ct);
        await checker.CheckAsync("/api/audit/verify", "get", await auditor.GetAsync("/api/audit/verify", ct), ct);
        await checker.CheckAsync("/api/kpis", "get", await auditor.GetAsync("/api/kpis", ct), ct);
        await checker.CheckAsync("/api/dev/tokens", "post", await anonymous.PostAsJsonAsync("/api/dev/tokens", new { userId = "emp-tam" }, ct), ct);
        await checker.CheckAsync("/api/dev/outbox", "get", await chan.GetAsync($"/api/dev/outbox?claimId={id}", ct), ct);
        await checker.CheckAsync("/api/claims/{id}/decisions", "post", await wong.PostAsJsonAsync($"/api/claims/{id}/decisions", new { decision = "approve", comment = "OK 同意" }, ct), ct);
        await checker.CheckAsync("/api/claims/{id}/withdraw", "post", await chan.PostAsJsonAsync($"/api/claims/{id}/withdraw", new { reason = "late" }, ct), ct);

        Assert.True(checker.Checked >= 19, $"checked {checker.Checked}");
    }

    [Fact]
    public async Task ReferencePage_IsServedWithItsScriptFromTheApp()
    {
        var ct = TestTimeout.Token();
        await using var app = new ReimburseApp(azurite);
        var client = await app.StartAsync(ct);

        var page = await client.GetAsync("/api/reference", ct);
        var script = await client.GetAsync("/api/reference/scalar.js", ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.Contains("data-url=\"/api/openapi.json\"", html, StringComparison.Ordinal);
        Assert.Contains("src=\"/api/reference/scalar.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.True((await script.Content.ReadAsByteArrayAsync(ct)).Length > 100_000);
    }
}

/// <summary>Validates an answer's body against the schema the document gives for it (JSON Schema 2020-12, the dialect
/// of OpenAPI 3.1), component references resolved from the same document.</summary>
internal sealed class ResponseChecker(JsonObject doc)
{
    public int Checked { get; private set; }

    public async Task CheckAsync(string path, string method, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var where = $"{method.ToUpperInvariant()} {path} -> {status}";
        var responses = doc["paths"]?[path]?[method]?["responses"]?.AsObject() ?? throw new Xunit.Sdk.XunitException($"{where}: not documented");
        Assert.True(responses.ContainsKey(status), $"{where}: status not documented");
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
        var content = responses[status]!["content"]?.AsObject();
        Assert.True(content is not null && content.ContainsKey(mediaType), $"{where}: content type {mediaType} not documented");
        var schema = Resolve(content![mediaType]!["schema"]!.DeepClone());
        var body = await response.Content.ReadAsStringAsync(cancellationToken);

        var result = JsonSchema.FromText(schema.ToJsonString()).Evaluate(JsonDocument.Parse(body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, $"{where}: body does not match its schema:\n{string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}\n{body}");
        Checked++;
    }

    private JsonNode Resolve(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o when o["$ref"]?.GetValue<string>() is { } reference:
                var name = reference["#/components/schemas/".Length..];
                return Resolve(doc["components"]!["schemas"]![name]!.DeepClone());
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (o[key] is { } child) o[key] = Resolve(child.DeepClone());
                }
                return o;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is { } child) a[i] = Resolve(child.DeepClone());
                }
                return a;
            default:
                return node;
        }
    }
}
