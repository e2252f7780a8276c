using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Reimburse.Testing.Fuzz;

/// <summary>One generated request: what the fuzzer sends, and which generator made it (for the figures and replay).</summary>
public sealed record FuzzCase(string Kind, string Endpoint, string Method, string PathAndQuery, string? ContentType, byte[]? Body, string? User,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public override string ToString()
    {
        var body = Body is null ? "" : Body.Length > 300 ? $"{Preview(Body[..300])}… ({Body.Length} bytes)" : Preview(Body);
        return $"[{Kind}] {Method} {(PathAndQuery.Length > 300 ? PathAndQuery[..300] + "…" : PathAndQuery)} as {User ?? "anonymous"} ({ContentType ?? "no content type"}) {body}";
    }

    private static string Preview(byte[] b) => new(Encoding.UTF8.GetString(b).Select(c => char.IsControl(c) ? '·' : c).ToArray());
}

/// <summary>What the generators may aim at: the endpoints, the users with tokens, ids that exist.</summary>
public sealed record FuzzTargets(IReadOnlyList<HttpEndpoint> Endpoints, IReadOnlyList<string> Users, IReadOnlyList<string> KnownIds);

/// <summary>
/// FsCheck generators of hostile input (issue 17): JSON with lone surrogates, control and bidi characters, very long and
/// deeply nested values, numbers beyond decimal, wrong types, duplicate keys, __proto__-style keys; odd query strings and
/// path segments; multipart with odd parts and hostile files; bytes that are not UTF-8.
/// </summary>
public static class HostileInput
{
    // ---- text, as raw JSON string literals (so lone surrogates can be written as escapes) ----

    /// <summary>Raw JSON string literals, quotes included.</summary>
    public static Gen<string> JsonStringLiteral() => Gen.OneOf(
        Gen.Elements(
            "\"\\ud800\"", "\"a\\udc00b\"", "\"\\udbff\\udbff\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\u001b[31mred\\u001b[0m\"",
            "\"line\\r\\nInjected: yes\"", "\"\u202Eevil\u202C.exe\"", "\"HK\u200BTaxi\"", "\"ＨＫ Ｔａｘｉ\"", "\"Tsui W\u0430h\"", "\"\\ufeff\"",
            "\"\\uffff\"", "\"\\ufffd\"", "\"\"", "\"   \"", "\"<script>alert(1)</script>\"", "\"' OR 1=1 --\"", "\"{0}{1}%s%n\"",
            "\"../../../../etc/passwd\"", "\"%00\"", "\"翠華餐廳\"", "\"\\\\\"", "\"\\/\"", "\"\\u2066\\u2067\\u2068\\u2069\""),
        Gen.Choose(1, 6).Select(p => "\"" + new string('A', (int)Math.Pow(10, p) / 2) + "\""),
        Gen.ArrayOf(Gen.Choose(0, 0x10FFFF).Where(c => c is < 0xD800 or > 0xDFFF)).Select(cs =>
            JsonQuote(string.Concat(cs.Select(char.ConvertFromUtf32))))
    );

    /// <summary>Numbers JSON allows and decimal does not hold, and things that look like numbers.</summary>
    public static Gen<string> JsonNumberish() => Gen.OneOf(
        Gen.Elements("1e400", "-1e400", "1E-400", "-0", "0", "79228162514264337593543950336", "-79228162514264337593543950336",
            "0.00000000000000000000000000001", "1.0000000000000000000000000000001", "268.50", "188.4", "\"188.40\"", "\"1e3\"",
            "\"0x10\"", "\"١٢٣\"", "\"１２３\"", "\"NaN\"", "\"Infinity\"", "\"-1\"", "\"1,000.00\"", "\" 12 \"", "123456789012345678901234567890"),
        Gen.Choose(20, 5000).Select(n => "1" + new string('0', n)),
        Gen.Choose(20, 5000).Select(n => "0." + new string('9', n)));

    /// <summary>Wrong types and shapes: arrays, objects, booleans, null, deep nesting.</summary>
    public static Gen<string> JsonWrongType() => Gen.OneOf(
        Gen.Elements("[]", "{}", "true", "false", "null", "[\"meals\"]", "{\"$ne\":null}", "{\"__proto__\":{\"admin\":true}}"),
        Gen.Choose(2, 3000).Select(d => new string('[', d) + new string(']', d)),
        Gen.Choose(2, 600).Select(d => string.Concat(Enumerable.Repeat("{\"a\":", d)) + "1" + new string('}', d)));

    public static Gen<string> JsonValue() => Gen.Frequency((5, JsonStringLiteral()), (3, JsonNumberish()), (3, JsonWrongType()));

    /// <summary>Property names: the known ones, server-owned ones, prototype pollution, invalid text.</summary>
    public static Gen<string> JsonName(IReadOnlyList<string> known) => Gen.Frequency(
        (6, Gen.Elements(known.ToArray()).Select(JsonQuote)),
        (2, Gen.Elements("__proto__", "constructor", "prototype", "status", "ownerId", "approverId", "department", "id", "risk", "$type", "$ref", "", " ",
            "Category", "AMOUNT").Select(JsonQuote)),
        (1, Gen.Elements("\"\\ud800\"", "\"merch\\udc00ant\"", "\"\\u0000\"", "\"a\\u202eb\"")));

    /// <summary>A JSON object built from a valid template, then mutated: fields replaced, duplicated, added, removed.</summary>
    public static Gen<string> JsonObject(IReadOnlyDictionary<string, string> template) =>
        from n in Gen.Choose(0, 4)
        from mutations in Gen.ListOf(Mutation(template), n)
        select Render(template, mutations.ToList());

    private sealed record Mut(int Kind, string Name, string Value);

    private static Gen<Mut> Mutation(IReadOnlyDictionary<string, string> template) =>
        from kind in Gen.Choose(0, 3)
        from name in JsonName(template.Keys.ToList())
        from value in JsonValue()
        select new Mut(kind, name, value);

    private static string Render(IReadOnlyDictionary<string, string> template, List<Mut> mutations)
    {
        var fields = template.Select(kv => (Name: JsonQuote(kv.Key), Value: kv.Value)).ToList();
        foreach (var m in mutations)
        {
            var at = fields.FindIndex(f => f.Name == m.Name);
            switch (m.Kind)
            {
                case 0 when at >= 0: fields[at] = (m.Name, m.Value); break;  // replace
                case 1: fields.Add((m.Name, m.Value)); break;                  // add (a duplicate when the name exists)
                case 2 when at >= 0: fields.RemoveAt(at); break;               // remove
                default: fields.Add((m.Name, m.Value)); break;
            }
        }
        return "{" + string.Join(",", fields.Select(f => f.Name + ":" + f.Value)) + "}";
    }

    // ---- bodies ----

    /// <summary>Templates of valid bodies per endpoint, as raw JSON values.</summary>
    public static IReadOnlyDictionary<string, string> TemplateFor(string endpoint) => endpoint switch
    {
        "DevToken" => new Dictionary<string, string> { ["userId"] = "\"emp-chan\"" },
        "DecideClaim" => new Dictionary<string, string> { ["decision"] = "\"reject\"", ["comment"] = "\"no\"", ["round"] = "1", ["step"] = "1" },
        "WithdrawClaim" => new Dictionary<string, string> { ["reason"] = "\"changed my mind\"" },
        "CreateDelegation" => new Dictionary<string, string> { ["to"] = "\"head-ho\"", ["start"] = "\"2026-12-01\"", ["end"] = "\"2026-12-05\"", ["reason"] = "\"leave\"" },
        _ => ClaimTemplate(),
    };

    public static Dictionary<string, string> ClaimTemplate() => new()
    {
        ["category"] = "\"meals\"", ["amount"] = "\"268.50\"", ["currency"] = "\"HKD\"",
        ["expenseDate"] = "\"" + DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "\"",
        ["merchant"] = "\"Tsui Wah Restaurant\"", ["description"] = "\"Lunch\"",
    };

    /// <summary>A body and its content type: mutated JSON, broken bytes, multipart, a form, or none.</summary>
    public static Gen<(string Kind, string? ContentType, byte[]? Body)> Body(string endpoint) => Gen.Frequency(
        (8, JsonObject(TemplateFor(endpoint)).Select(j => ("json", (string?)"application/json", (byte[]?)Encoding.UTF8.GetBytes(j)))),
        (2, JsonValue().Select(j => ("json-value", (string?)"application/json", (byte[]?)Encoding.UTF8.GetBytes(j)))),
        (3, from j in JsonObject(TemplateFor(endpoint))
            from how in Gen.Choose(0, 5)
            from at in Gen.Choose(0, 1000)
            select ("bad-utf8", (string?)"application/json; charset=utf-8", (byte[]?)BreakUtf8(Encoding.UTF8.GetBytes(j), how, at))),
        (3, Multipart().Select(m => ("multipart", (string?)m.ContentType, (byte[]?)m.Body))),
        (1, FormUrlEncoded().Select(f => ("form", (string?)"application/x-www-form-urlencoded", (byte[]?)f))),
        (1, Gen.Elements<(string, string?, byte[]?)>(
            ("no-body", null, null), ("empty-json", "application/json", []), ("text", "text/plain", "hello"u8.ToArray()),
            ("bad-type", "application/json;;;charset=\"", "{}"u8.ToArray()), ("xml", "application/xml", "<claim/>"u8.ToArray()),
            ("utf16-json", "application/json; charset=utf-16", Encoding.Unicode.GetBytes("{\"category\":\"meals\"}")),
            ("bom-json", "application/json", [0xEF, 0xBB, 0xBF, .. "{\"category\":\"meals\"}"u8.ToArray()]),
            ("truncated", "application/json", "{\"category\":\"me"u8.ToArray()))));

    /// <summary>Puts bytes that are not UTF-8 inside the document (in a string when there is one after <paramref name="at"/>).</summary>
    public static byte[] BreakUtf8(byte[] json, int how, int at)
    {
        byte[] bad = how switch
        {
            0 => [0xFF],
            1 => [0xC3, 0x28],             // a lead byte without its continuation
            2 => [0xC0, 0xAF],             // overlong '/'
            3 => [0xED, 0xA0, 0x80],       // an encoded surrogate (CESU)
            4 => [0xF4, 0x90, 0x80, 0x80], // beyond U+10FFFF
            _ => [0xE2, 0x82],             // truncated sequence
        };
        var quote = Array.IndexOf(json, (byte)'"', Math.Min(at, Math.Max(json.Length - 1, 0)));
        var pos = quote >= 0 ? quote + 1 : Math.Min(at, json.Length);
        return [.. json[..pos], .. bad, .. json[pos..]];
    }

    // ---- multipart ----

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0];
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0];
    private static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"u8.ToArray();

    public sealed record Part(string? Name, string? FileName, string? ContentType, byte[] Content, byte[]? RawDisposition = null);

    public static Gen<Part> HostilePart() => Gen.OneOf(
        Gen.Elements(
            new Part("receipts", "../../../etc/passwd.png", "image/png", Png),
            new Part("receipts", new string('a', 1000) + ".png", "image/png", Png),
            new Part("receipts", "收據 ＨＫ\u202Egnp.exe", "image/png", Png),
            new Part("receipts", "fake.jpg", "image/jpeg", [.. Jpeg, .. new byte[2000]]),
            new Part("receipts", "pixel-bomb.png", "image/png", Png),
            new Part("receipts", "real.pdf", "application/pdf", Pdf),
            new Part("receipts", "script.png", "image/png", "<?php system($_GET['c']); ?>"u8.ToArray()),
            new Part("receipts", "empty.png", "image/png", []),
            new Part("receipts", "x.exe", "application/x-msdownload", "MZ\x90\0"u8.ToArray()),
            new Part("receipts", "nul\0.png", "image/png", Png),
            new Part(null, "noname.png", "image/png", Png),
            new Part("claim", null, "application/json", "{\"category\":\"meals\"}"u8.ToArray()),
            new Part("claim", "claim.json", "application/json", "{\"merchant\":\"\\ud800\"}"u8.ToArray()),
            new Part("__proto__", null, null, "x"u8.ToArray()),
            new Part("receipts", "bad-utf8.png", "image/png", Png, [.. "form-data; name=\"receipts\"; filename=\"a"u8.ToArray(), 0xFF, 0xFE, .. "\".png"u8.ToArray()])),
        from json in JsonObject(ClaimTemplate()) select new Part("claim", null, "application/json", Encoding.UTF8.GetBytes(json)),
        from n in Gen.Choose(1, 64) select new Part("receipts", "big.pdf", "application/pdf", [.. Pdf, .. new byte[n * 1024]]));

    public static Gen<(string ContentType, byte[] Body)> Multipart() =>
        from withClaim in Gen.Elements(true, true, false)
        from claim in JsonObject(ClaimTemplate())
        from parts in Gen.ListOf(HostilePart(), 12)
        from count in Gen.Choose(0, 12)
        from shape in Gen.Choose(0, 9)
        select BuildMultipart(withClaim ? [new Part("claim", null, "application/json", Encoding.UTF8.GetBytes(claim)), .. parts.Take(count)] : [.. parts.Take(count)], shape);

    /// <summary>Writes a multipart body; some shapes break it (no closing boundary, a huge header, no boundary parameter).</summary>
    public static (string ContentType, byte[] Body) BuildMultipart(IReadOnlyList<Part> parts, int shape)
    {
        const string boundary = "fuzzBoundary7MA4YWxk";
        var ms = new MemoryStream();
        void W(string s) => ms.Write(Encoding.UTF8.GetBytes(s));
        foreach (var p in parts)
        {
            W($"--{boundary}\r\n");
            if (p.RawDisposition is { } raw)
            {
                W("Content-Disposition: ");
                ms.Write(raw);
                W("\r\n");
            }
            else if (p.Name is not null || p.FileName is not null)
            {
                W("Content-Disposition: form-data" + (p.Name is null ? "" : $"; name=\"{p.Name}\"") + (p.FileName is null ? "" : $"; filename=\"{p.FileName}\"") + "\r\n");
            }
            if (p.ContentType is not null) W($"Content-Type: {p.ContentType}\r\n");
            if (shape == 1) W("X-Fuzz: " + new string('h', 20_000) + "\r\n");
            W("\r\n");
            ms.Write(p.Content);
            W("\r\n");
        }
        if (shape != 2) W($"--{boundary}--\r\n");
        var contentType = shape switch
        {
            3 => "multipart/form-data",
            4 => "multipart/form-data; boundary=\"\"",
            5 => "multipart/form-data; boundary=wrong",
            _ => $"multipart/form-data; boundary={boundary}",
        };
        return (contentType, ms.ToArray());
    }

    public static Gen<byte[]> FormUrlEncoded() =>
        from pairs in Gen.ListOf(from k in Gen.Elements("category", "amount", "merchant", "claim", "a", "%FF", "__proto__", "merchant")
                                 from v in Gen.Elements("meals", "268.50", "%FF", "%ED%A0%80", "%00", "%", "a+b", new string('x', 70_000), "ＨＫ")
                                 select k + "=" + v, 6)
        from n in Gen.Choose(0, 6)
        select Encoding.ASCII.GetBytes(string.Join("&", pairs.Take(n)));

    // ---- query strings and path segments ----

    public static Gen<string> PathSegment(IReadOnlyList<string> knownIds) => Gen.Frequency(
        (4, Gen.Elements(knownIds.Count > 0 ? knownIds.ToArray() : ["c-none"])),
        (6, Gen.Elements("c-20261202-000000-abcdef", "..", "%2e%2e", "%2E%2E%2F%2E%2E", "%2F", "%5C", "%FF", "%C3%28", "%ED%A0%80", "%00", "%0D%0AX-Injected:1",
            "%E2%80%AE", "%EF%BC%A8%EF%BC%AB", "con", "a;b", "a%3Bb", "%20", "~", "*", "receipt.png", "%25", "%u0041", "null", "undefined", "-1", "0")),
        (1, Gen.Choose(1, 4).Select(p => new string('a', (int)Math.Pow(10, p)))));

    public static Gen<string> QueryString() =>
        from pairs in Gen.ListOf(
            from k in Gen.Elements("pageSize", "continuationToken", "from", "to", "department", "claimId", "actor", "action", "outcome", "format", "%FF",
                "__proto__", "pageSize[]", "", "a%00b")
            from v in Gen.Elements("-1", "0", "1", "1000", "1001", "99999999999999999999", "abc", "%FF", "%ED%A0%80", "%C0%AF", "%00", "2026-13-45", "2026-11-01",
                "2026-11-01T00:00:00Z", "9999-12-31", "Allowed", "Denied", "sales", "..%2F..%2F", "%E2%80%AE", "eyJ4Ijoi", "%", "+", new string('9', 5000),
                "W10=", "WyJcdWQ4MDAiXQ==")
            select k + "=" + v, 4)
        from n in Gen.Choose(1, 4)
        select "?" + string.Join("&", pairs.Take(n));

    // ---- whole requests ----

    public static Gen<FuzzCase> Request(FuzzTargets targets) =>
        from endpoint in Gen.Elements(targets.Endpoints.ToArray())
        from oddMethod in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        from method in oddMethod ? Gen.Elements("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS") : Gen.Elements(endpoint.Methods.ToArray())
        from segments in Gen.ListOf(PathSegment(targets.KnownIds), endpoint.Parameters.Count)
        from query in Gen.Frequency((1, Gen.Constant("")), (1, QueryString()))
        from body in Body(endpoint.Name)
        from user in Gen.Frequency((1, Gen.Constant<string?>(null)), (1, Gen.Constant<string?>("!bogus")), (8, Gen.Elements(targets.Users.Select(u => (string?)u).ToArray())))
        from idempotency in Gen.Frequency((6, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("k1", "k1", new string('k', 300), "\t", "a b\"c;", "%FF")))
        select Build(endpoint, method, segments.ToList(), query, body, user, idempotency);

    private static FuzzCase Build(HttpEndpoint endpoint, string method, List<string> segments, string query, (string Kind, string? ContentType, byte[]? Body) body,
        string? user, string? idempotency)
    {
        var path = endpoint.Route;
        for (var i = 0; i < endpoint.Parameters.Count; i++)
        {
            var start = path.IndexOf('{', StringComparison.Ordinal);
            var end = path.IndexOf('}', start);
            path = path[..start] + segments[i] + path[(end + 1)..];
        }
        var hasBody = method is not ("GET" or "DELETE" or "OPTIONS") || body.Kind == "json";
        var headers = new List<KeyValuePair<string, string>>();
        if (idempotency is not null) headers.Add(new("Idempotency-Key", idempotency));
        return new FuzzCase(hasBody ? body.Kind : "no-body", endpoint.Name, method, "/api/" + path + query,
            hasBody ? body.ContentType : null, hasBody ? body.Body : null, user, headers);
    }

    /// <summary>The <paramref name="index"/>-th case of a run: the same seed and index always give the same request.</summary>
    public static FuzzCase Case(Gen<FuzzCase> gen, ulong seed, int index, int size = 30) =>
        gen.Sample(size, new Rnd(seed + (ulong)index * 0x9E3779B97F4A7C15UL), 1)[0];

    private static string JsonQuote(string s) => System.Text.Json.JsonSerializer.Serialize(s, new System.Text.Json.JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
