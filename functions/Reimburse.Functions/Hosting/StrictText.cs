using System.Text;
using System.Text.Json;
using Reimburse.Core.Text;

namespace Reimburse.Functions.Hosting;

/// <summary>
/// Strict decoding of text at the edge (HTTP bodies, form fields, query strings, path segments, queue messages, blob
/// names, OCR output): invalid UTF-8 or UTF-16 is refused with a 400 naming the field, never an exception. Every
/// intake path calls these helpers, so a new one (a form parser, a webhook) gets the same answer. docs/security-input.md.
/// </summary>
public static class StrictText
{
    /// <summary>Depth a request body may nest to; a claim is flat, the deepest accepted body has two levels.</summary>
    public const int MaxJsonDepth = 16;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why this decoded text is not acceptable, or null when it is: a lone surrogate (invalid UTF-16), U+FFFD
    /// (what a lenient decoder put where the sender's bytes were not UTF-8) or a noncharacter (U+FFFE, U+FFFF).</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (!TextNormalizer.IsValidUtf16(value)) return "Must be valid Unicode text: it holds a lone UTF-16 surrogate (such as \\ud800).";
        foreach (var c in value)
        {
            if (c == '\uFFFD') return "Must be valid UTF-8 text: it holds bytes that are not UTF-8 (or U+FFFD, the mark left where they were).";
            if (c is '\uFFFE' or '\uFFFF') return "Must be valid Unicode text: it holds a noncharacter (U+FFFE or U+FFFF).";
        }
        return null;
    }

    /// <summary>Adds an error for <paramref name="field"/> when its text is not acceptable; true when it is.</summary>
    public static bool Check(string field, string? value, Action<string, string> add)
    {
        if (Problem(value) is not { } problem) return true;
        add(field, problem);
        return false;
    }

    /// <summary>Every field name, value and file name of a form, checked; the errors name the fields (for a form parser).</summary>
    public static Dictionary<string, List<string>> CheckForm(IFormCollection form)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string f, string m) => (errors.TryGetValue(f, out var l) ? l : errors[f] = []).Add(m);
        foreach (var (key, values) in form)
        {
            var field = FieldName(key);
            if (Check(field, key, Add))
            {
                foreach (var v in values) Check(field, v, Add);
            }
        }
        foreach (var file in form.Files)
        {
            var field = FieldName(file.Name);
            if (Check(field, file.Name, Add)) Check(field, file.FileName, Add);
        }
        return errors;
    }

    /// <summary>Strict UTF-8 to string: false (no exception) when the bytes are not UTF-8.</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    /// <summary>A field name safe to echo back in an error (invalid text replaced, at most 100 characters).</summary>
    public static string FieldName(string? name)
    {
        var s = TextNormalizer.ReplaceInvalid(name ?? "");
        s = new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > 100 ? s[..100] + "…" : s;
    }

    /// <summary>The string value of a JSON string, or an error when it is not valid text (System.Text.Json throws
    /// InvalidOperationException for escaped lone surrogates and for bytes that are not UTF-8).</summary>
    public static (string? Value, string? Error) GetString(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return (null, "Must be a string.");
        string? value;
        try
        {
            value = element.GetString();
        }
        catch (InvalidOperationException)
        {
            return (null, "Must be valid Unicode text: it holds a lone UTF-16 surrogate (such as \\ud800) or bytes that are not UTF-8.");
        }
        return Problem(value) is { } problem ? (null, problem) : (value, null);
    }

    /// <summary>A property's name, or null when the name is not valid text.</summary>
    public static string? NameOf(JsonProperty property)
    {
        try
        {
            return Problem(property.Name) is null ? property.Name : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The JSON path of the first string or property name that is not valid text, or null when all are.</summary>
    public static string? FindInvalidText(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return GetString(element).Error is null ? null : path;
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    if (NameOf(p) is not { } name) return path + ".<name>";
                    if (FindInvalidText(p.Value, path == "$" ? name : path + "." + name) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidText(item, $"{path}[{i++}]") is { } bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    /// <summary>
    /// Reads a JSON request body strictly: well-formed, at most <see cref="MaxJsonDepth"/> deep, no property twice in one
    /// object (two readers must not see two different claims), every string and name valid text. A refusal is a 400
    /// ProblemDetails naming the field.
    /// </summary>
    public static async Task<(JsonDocument? Doc, IResult? Problem)> ReadJsonAsync(Stream body, CancellationToken cancellationToken = default)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(body, new JsonDocumentOptions { MaxDepth = MaxJsonDepth, AllowDuplicateProperties = false }, cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON",
                $"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {Describe(ex)}", "$"));
        }
        catch (InvalidOperationException)
        {
            // The duplicate-property check unescapes names: a name holding a lone surrogate throws here (found by the fuzzer).
            return (null, Problems.Problem(400, Problems.MalformedRequest, "Invalid text",
                "A property name is not valid Unicode text (a lone UTF-16 surrogate such as \\ud800, or bytes that are not UTF-8).", "$"));
        }
        if (FindInvalidText(doc.RootElement) is { } path)
        {
            doc.Dispose();
            var field = FieldName(path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path);
            return (null, Problems.Problem(400, Problems.MalformedRequest, "Invalid text",
                $"'{field}' is not valid Unicode text (a lone UTF-16 surrogate such as \\ud800, or bytes that are not UTF-8).", field));
        }
        return (doc, null);
    }

    /// <summary>Checks a JSON body strictly, then binds it to <typeparamref name="T"/> (web defaults).</summary>
    public static async Task<(T? Body, IResult? Problem)> ReadJsonAsync<T>(Stream body, JsonSerializerOptions options, CancellationToken cancellationToken = default) where T : class
    {
        var (doc, problem) = await ReadJsonAsync(body, cancellationToken);
        if (doc is null) return (null, problem);
        using (doc)
        {
            try
            {
                var value = doc.RootElement.Deserialize<T>(options);
                return value is null ? (null, Problems.Problem(400, Problems.MalformedRequest, "Empty body", "Send a JSON object.", "$")) : (value, null);
            }
            catch (JsonException ex)
            {
                var field = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? FieldName(p[2..]) : "$";
                return (null, Problems.Problem(400, Problems.MalformedRequest, "Malformed JSON", "The body is not valid JSON of the expected shape.", field));
            }
        }
    }

    /// <summary>
    /// Checks the raw query string and path: every parameter name and value, and every path segment, must percent-decode
    /// to UTF-8. ASP.NET decodes leniently (bytes that are not UTF-8 become U+FFFD, or stay percent-encoded in a path), so
    /// this looks at what was sent. Returns the offending field ("query.name" or "path") and why, or null.
    /// </summary>
    public static (string Field, string Message)? CheckRequestTarget(HttpContext context)
    {
        var query = context.Request.QueryString.Value;
        if (!string.IsNullOrEmpty(query))
        {
            foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var rawName = eq < 0 ? pair : pair[..eq];
                var nameOk = TryPercentDecode(rawName, plusIsSpace: true, out var name);
                var field = "query." + FieldName(nameOk ? name : Uri.UnescapeDataString(rawName.Replace('+', ' ')));
                if (!nameOk) return (field, "The query parameter's name is not valid percent-encoded UTF-8.");
                if (Problem(name) is { } nameProblem) return (field, nameProblem);
                if (eq >= 0)
                {
                    if (!TryPercentDecode(pair[(eq + 1)..], plusIsSpace: true, out var value)) return (field, "The query parameter's value is not valid percent-encoded UTF-8.");
                    if (Problem(value) is { } valueProblem) return (field, valueProblem);
                }
            }
        }
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        var path = string.IsNullOrEmpty(raw) ? context.Request.Path.Value ?? "" : raw.Split('?', 2)[0];
        if (!TryPercentDecode(path, plusIsSpace: false, out var decoded) || Problem(decoded) is not null)
        {
            return ("path", "The path is not valid percent-encoded UTF-8 text.");
        }
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string s && Problem(s) is { } problem) return ("path." + FieldName(name), problem);
        }
        return null;
    }

    /// <summary>Percent-decodes to bytes, then strict UTF-8; false for a bad escape or bytes that are not UTF-8.</summary>
    public static bool TryPercentDecode(string s, bool plusIsSpace, out string decoded)
    {
        decoded = "";
        if (s.Length > 64 * 1024) return false;
        var bytes = new List<byte>(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '%' && i + 2 < s.Length && IsHex(s[i + 1]) && IsHex(s[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(s.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c == '+' && plusIsSpace)
            {
                bytes.Add((byte)' ');
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c); // a stray '%' is kept as is, as ASP.NET does
            }
            else
            {
                // Already-decoded text (a host that hands over a decoded path): re-encode it, refusing lone surrogates.
                if (!TextNormalizer.IsValidUtf16(s.AsSpan(i))) return false;
                var end = i;
                while (end < s.Length && s[end] >= 0x80) end++;
                bytes.AddRange(Encoding.UTF8.GetBytes(s[i..end]));
                i = end - 1;
            }
        }
        return TryDecodeUtf8(bytes.ToArray(), out decoded);
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        message = new string(TextNormalizer.ReplaceInvalid(message).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return message.Length > 200 ? message[..200] : message;
    }
}

/// <summary>Refuses a request whose query string or path is not valid UTF-8 text, before any endpoint reads it.</summary>
public static class StrictTextMiddleware
{
    public static IApplicationBuilder UseStrictRequestText(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (StrictText.CheckRequestTarget(context) is { } bad)
            {
                await Problems.Write(context, StatusCodes.Status400BadRequest, Problems.MalformedRequest, "Invalid text", bad.Message,
                    new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [bad.Field] = [bad.Message] } });
                return;
            }
            await next(context);
        });
}
