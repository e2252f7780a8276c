using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>Shared plumbing: one pipeline per client, URL building, status checks that raise RequestFailedException with the service error code.</summary>
internal static class StorageTransport
{
    public static HttpPipeline BuildPipeline(StorageAccount account, StorageClientOptions options, bool table) =>
        HttpPipelineBuilder.Build(options, [], [account.CreateAuthPolicy(table)], new ResponseClassifier());

    /// <summary>Escapes each '/'-separated segment so blob "folders" stay in the path.</summary>
    public static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    public static Uri Combine(Uri endpoint, string escapedPath, IEnumerable<(string Name, string? Value)>? query = null)
    {
        var sb = new StringBuilder(endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        if (escapedPath.Length > 0)
        {
            sb.Append('/').Append(escapedPath);
        }
        var first = true;
        foreach (var (name, value) in query ?? [])
        {
            if (value is null)
            {
                continue;
            }
            sb.Append(first ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }
        return new Uri(sb.ToString());
    }

    public static HttpMessage CreateMessage(HttpPipeline pipeline, RequestMethod method, Uri uri, string version)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(uri);
        message.Request.Headers.SetValue("x-ms-version", version);
        return message;
    }

    /// <summary>Sends and returns the response; throws RequestFailedException unless the status is one of <paramref name="expected"/>.</summary>
    public static async Task<Response> SendAsync(HttpPipeline pipeline, HttpMessage message, CancellationToken cancellationToken, params int[] expected)
    {
        await SendRawAsync(pipeline, message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (Array.IndexOf(expected, response.Status) < 0)
        {
            throw CreateException(response);
        }
        return response;
    }

    /// <summary>Sends without a status check. Azure.Core reports exhausted retries of transport failures as an
    /// AggregateException of RequestFailedExceptions; callers get one RequestFailedException (status 0) instead.</summary>
    public static async Task SendRawAsync(HttpPipeline pipeline, HttpMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0 && ex.InnerExceptions.All(e => e is RequestFailedException))
        {
            var last = (RequestFailedException)ex.InnerExceptions[^1];
            throw new RequestFailedException(last.Status,
                $"Request to {message.Request.Uri.Host}:{message.Request.Uri.Port} failed after {ex.InnerExceptions.Count} attempts: {last.Message}",
                last.ErrorCode, ex);
        }
    }

    public static RequestFailedException CreateException(Response response)
    {
        string? code = response.Headers.TryGetValue("x-ms-error-code", out var c) && c.Length > 0 ? c : null;
        string? serviceMessage = null;
        var body = response.ContentStream is { CanSeek: true } ? response.Content.ToString() : "";
        if (body.Length > 0)
        {
            (var bodyCode, serviceMessage) = ParseErrorBody(body);
            code ??= bodyCode;
        }
        var text = new StringBuilder()
            .Append("Service request failed.\nStatus: ").Append(response.Status.ToString(CultureInfo.InvariantCulture))
            .Append(" (").Append(response.ReasonPhrase).Append(')');
        if (code is not null)
        {
            text.Append("\nErrorCode: ").Append(code);
        }
        if (serviceMessage is not null)
        {
            text.Append("\nMessage: ").Append(serviceMessage);
        }
        return new RequestFailedException(response.Status, text.ToString(), code, null);
    }

    /// <summary>Reads the code and message from an XML (Blob/Queue) or JSON (Table) error body.</summary>
    public static (string? Code, string? Message) ParseErrorBody(string body)
    {
        var trimmed = body.TrimStart('\uFEFF', ' ', '\r', '\n', '\t');
        try
        {
            if (trimmed.StartsWith('<'))
            {
                var root = XDocument.Parse(trimmed).Root;
                return (root?.Element("Code")?.Value, root?.Element("Message")?.Value);
            }
            if (trimmed.StartsWith('{'))
            {
                using var doc = JsonDocument.Parse(trimmed);
                if (doc.RootElement.TryGetProperty("odata.error", out var err) || doc.RootElement.TryGetProperty("error", out err))
                {
                    var code = err.TryGetProperty("code", out var c) ? c.GetString() : null;
                    string? msg = null;
                    if (err.TryGetProperty("message", out var m))
                    {
                        msg = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString()
                            : m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    }
                    return (code, msg);
                }
            }
        }
        catch (System.Xml.XmlException)
        {
        }
        catch (JsonException)
        {
        }
        return (null, null);
    }

    public static DateTimeOffset ParseHttpDate(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Same normalisation as Azure.Core's header parsing: strong ETags lose their quotes, weak ones stay whole.</summary>
    public static ETag ParseETag(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? new ETag(value[1..^1]) : new ETag(value);

    public static string Header(Response response, string name) =>
        response.Headers.TryGetValue(name, out var value) ? value : "";
}
