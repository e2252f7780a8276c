using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Reimburse.Infra.Tests;

/// <summary>azure.yaml (what `azd up` reads) points at real projects, templates and hook scripts.</summary>
public sealed class AzureYamlTests
{
    private static readonly string Root = Bicep.RepositoryRoot;

    private static YamlMappingNode Load()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Root, "azure.yaml"));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(key)];

    private static string Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value! : throw new KeyNotFoundException(key);

    [Fact]
    public void Infra_MainModule_IsTheBicepTemplateWithItsParameters()
    {
        var infra = Map(Load(), "infra");
        Assert.Equal("bicep", Scalar(infra, "provider"));
        var folder = Path.Combine(Root, Scalar(infra, "path"));
        Assert.True(File.Exists(Path.Combine(folder, Scalar(infra, "module") + ".bicep")));

        // Every parameter the parameters file passes exists in main.bicep, and every required one is passed.
        var parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, Scalar(infra, "module") + ".parameters.json")))!["parameters"]!.AsObject();
        var main = File.ReadAllText(Path.Combine(folder, "main.bicep"));
        foreach (var (name, _) in parameters) Assert.Matches($@"(?m)^param {name} ", main);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(main, @"(?m)^param (\w+) \w+\s*$"))
        {
            Assert.True(parameters.ContainsKey(m.Groups[1].Value), $"required parameter {m.Groups[1].Value} is not passed by main.parameters.json");
        }
        Assert.Equal("${AZURE_LOCATION=eastasia}", (string?)parameters["location"]!["value"]);
    }

    [Fact]
    public void ApiService_IsTheFunctionsWorkerProject()
    {
        var api = Map(Map(Load(), "services"), "api");
        Assert.Equal("function", Scalar(api, "host"));
        Assert.Equal("dotnet", Scalar(api, "language"));
        var folder = Path.GetFullPath(Path.Combine(Root, Scalar(api, "project")));
        var project = Assert.Single(Directory.GetFiles(folder, "*.csproj"));
        var xml = File.ReadAllText(project);
        Assert.Contains("<AzureFunctionsVersion>v4</AzureFunctionsVersion>", xml, StringComparison.Ordinal);
        Assert.Contains("Microsoft.Azure.Functions.Worker.Sdk", xml, StringComparison.Ordinal);
        // host.json travels with the package (the Functions host reads it beside the worker).
        Assert.Contains("host.json", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void WebService_StaticWebAppOfTheBrowserApp_WithItsPublishHook()
    {
        var web = Map(Map(Load(), "services"), "web");
        Assert.Equal("staticwebapp", Scalar(web, "host"));
        var project = Scalar(web, "project");
        // The browser app's folder (docs/architecture.md layout); built under issue 13.
        Assert.Equal("./web/Reimburse.Web", project);
        var folder = Path.GetFullPath(Path.Combine(Root, project));
        var hook = Scalar(Map(Map(web, "hooks"), "prepackage"), "run");
        var script = Path.GetFullPath(Path.Combine(folder, hook));
        Assert.True(File.Exists(script), $"{hook} (from {project}) does not exist: {script}");
        var publish = File.ReadAllText(script);
        Assert.Contains("-o bin/azd", publish, StringComparison.Ordinal);
        Assert.StartsWith("bin/azd/", Scalar(web, "dist"), StringComparison.Ordinal);
        foreach (var config in new[] { "staticwebapp.config.json", "staticwebapp.entra.config.json" })
        {
            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "infra", "web", config)))!;
            Assert.Equal("/index.html", (string?)json["navigationFallback"]!["rewrite"]);
        }
        if (Directory.Exists(folder))
        {
            var csproj = Assert.Single(Directory.GetFiles(folder, "*.csproj"));
            Assert.Contains("BlazorWebAssembly", File.ReadAllText(csproj), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Hooks_ScriptsExistAndAreExecutable()
    {
        var hooks = Map(Load(), "hooks");
        Assert.Equal(["preprovision", "postprovision", "postdeploy"], hooks.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        foreach (var (_, hook) in hooks.Children)
        {
            var path = Path.Combine(Root, Scalar(hook, "run"));
            Assert.True(File.Exists(path), path);
            // azd runs them as ./scripts/x.sh (the bicep package used here is linux-x64: this runs on Linux).
            Assert.True(OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0, $"{path} is not executable");
        }
        // The postdeploy hook deploys the Event Grid subscription template compiled by BicepCompileTests.
        Assert.Contains("infra/event-subscription.bicep", File.ReadAllText(Path.Combine(Root, "scripts/azd-postdeploy.sh")), StringComparison.Ordinal);
    }
}
