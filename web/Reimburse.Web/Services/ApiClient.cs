using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Components;

namespace Reimburse.Web.Services;

/// <summary>An answer from the API: the value, or the problem it reported.</summary>
public sealed record ApiResult<T>(T? Value, Problem? Problem, HttpStatusCode Status)
{
    public bool Ok => Problem is null;
}

/// <summary>Calls the existing /api with the session's bearer token. A 401 ends the session and returns to sign-in.</summary>
public sealed class ApiClient(HttpClient http, Session session, NavigationManager navigation)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken cancellationToken = default) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<ApiResult<T>> PostJsonAsync<T>(string path, object body, CancellationToken cancellationToken = default, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return SendAsync<T>(request, cancellationToken);
    }

    public async Task<ApiResult<T>> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        if (session.Token is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return new(default, new Problem(0, null, "Network error", ex.Message, null), 0);
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized && session.IsSignedIn)
            {
                session.SignOut(expired: true);
                navigation.NavigateTo("signin");
            }
            if (!response.IsSuccessStatusCode)
            {
                return new(default, await ReadProblemAsync(response, cancellationToken), response.StatusCode);
            }
            if (typeof(T) == typeof(byte[]))
            {
                return new((T)(object)await response.Content.ReadAsByteArrayAsync(cancellationToken), null, response.StatusCode);
            }
            if (response.Content.Headers.ContentLength == 0 || typeof(T) == typeof(object))
            {
                return new(default, null, response.StatusCode);
            }
            var value = await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
            return new(value, null, response.StatusCode);
        }
    }

    public static async Task<Problem> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        var status = (int)response.StatusCode;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? S(string n) => root.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            Dictionary<string, string[]>? errors = null;
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                errors = e.EnumerateObject().ToDictionary(p => p.Name,
                    p => p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().Select(x => x.ToString()).ToArray() : [p.Value.ToString()]);
            }
            return new Problem(status, S("type"), S("title"), S("detail"), errors);
        }
        catch (JsonException)
        {
            return new Problem(status, null, response.ReasonPhrase, null, null);
        }
    }
}
