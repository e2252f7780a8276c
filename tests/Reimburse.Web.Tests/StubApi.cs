using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Reimburse.Web.Services;

namespace Reimburse.Web.Tests;

/// <summary>A loopback stand-in for the API at the HTTP boundary: records each request and answers what the test queued
/// (the answers are the API's own ProblemDetails and 202 shapes).</summary>
public sealed class StubApi : HttpMessageHandler
{
    public List<(HttpRequestMessage Request, string Body)> Requests { get; } = [];
    private readonly Queue<Func<HttpRequestMessage, Task<HttpResponseMessage>>> _answers = new();

    public StubApi Answer(HttpStatusCode status, string json) => Answer(_ => Task.FromResult(Json(status, json)));

    public StubApi Answer(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer)
    {
        _answers.Enqueue(answer);
        return this;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, status >= HttpStatusCode.BadRequest ? "application/problem+json" : "application/json") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Add((request, body));
        Assert.True(_answers.Count > 0, $"Unexpected request {request.Method} {request.RequestUri}");
        return await _answers.Dequeue()(request);
    }
}

public static class TestServices
{
    /// <summary>The app's services as Program.cs registers them, over the stub API, signed in as emp-chan.</summary>
    public static (StubApi Api, Session Session) AddApp(this BunitContext ctx)
    {
        var api = new StubApi();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddScoped(_ => new HttpClient(api) { BaseAddress = new Uri("http://localhost/") });
        ctx.Services.AddScoped<Session>();
        ctx.Services.AddScoped<Lang>();
        ctx.Services.AddScoped<ApiClient>();
        var session = ctx.Services.GetRequiredService<Session>();
        session.SignIn("rbt1.test", "emp-chan", "Chan Tai Man", "sales", ["employee"], DateTimeOffset.UtcNow.AddHours(1));
        return (api, session);
    }
}
