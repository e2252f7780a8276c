using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.OpenApi;

/// <summary>An HTTP function as its <c>[Function]</c> and <c>[HttpTrigger]</c> attributes declare it (the same source the
/// Worker SDK generates functions.metadata from).</summary>
public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods);

/// <summary>Builds the OpenAPI 3.1 document from the code: paths and methods from the HTTP functions' attributes, schemas
/// from the C# types the endpoints read and write (System.Text.Json's schema exporter, with the API's serializer
/// settings), words and examples from <see cref="ApiOperations"/>.</summary>
public static class OpenApiDocumentBuilder
{
    public const string Title = "Reimburse API";
    private const string ProblemSchema = "ProblemDetails";
    private const string BearerScheme = "bearer";
    private const string PlatformScheme = "platformSignIn";

    /// <summary>The API's JSON settings (web defaults, enums as strings), as ConfigureHttpJsonOptions sets them.</summary>
    public static readonly JsonSerializerOptions ApiJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>Every HTTP function of the app, from its attributes.</summary>
    public static IReadOnlyList<HttpFunction> HttpFunctions() =>
        typeof(OpenApiDocumentBuilder).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => (Function: m.GetCustomAttribute<FunctionAttribute>(), Trigger: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(x => x.Function is not null && x.Trigger is not null)
            .Select(x => new HttpFunction(x.Function!.Name, x.Trigger!.Route ?? x.Function.Name, (x.Trigger.Methods ?? []).Select(v => v.ToUpperInvariant()).ToList()))
            .OrderBy(f => f.Route, StringComparer.Ordinal)
            .ToList();

    public static OpenApiDocument Build(string? serverUrl = null)
    {
        var doc = new OpenApiDocument
        {
            Info = new OpenApiInfo
            {
                Title = Title,
                Version = typeof(OpenApiDocumentBuilder).Assembly.GetName().Version?.ToString(3) ?? "1.0.0",
                Summary = "Expense claims for Hong Kong SMEs 香港中小企報銷",
                Description = "Submit expense claims with receipts, follow their approval, read the audit log. Errors are RFC 9457 " +
                    "`application/problem+json` with a stable `type` URI; validation errors list every bad field in `errors`. " +
                    "Signed event webhooks and the plain-form post are described in docs/integrations.md.\n\n" +
                    "提交附收據的報銷申請、跟進審批、查閱審計記錄。錯誤以 RFC 9457 `application/problem+json` 返回，`type` URI 固定；驗證錯誤在 `errors` 列出所有欄位。",
                License = new OpenApiLicense { Name = "Proprietary", Identifier = "LicenseRef-Proprietary" },
                Contact = new OpenApiContact { Name = "Reimburse", Url = new Uri("https://reimburse.example/support") },
            },
            Servers = [new OpenApiServer { Url = serverUrl ?? "/", Description = "This deployment 本部署" }],
            Components = new OpenApiComponents
            {
                Schemas = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
                SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal)
                {
                    [BearerScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "Reimburse token",
                        Description = "A bearer token (development: POST /api/dev/tokens). 開發環境以 POST /api/dev/tokens 取得。",
                    },
                    [PlatformScheme] = new OpenApiSecurityScheme
                    {
                        Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "X-MS-CLIENT-PRINCIPAL",
                        Description = "Platform sign-in (App Service Authentication): the platform sets this header after the user signs in; clients never send it. 平台登入後由平台設定。",
                    },
                },
            },
            Paths = [],
            Tags = new HashSet<OpenApiTag>(),
        };
        var schemas = new SchemaRegistry(doc);
        doc.Components.Schemas[ProblemSchema] = schemas.Raw(ProblemDetailsSchema());

        foreach (var route in HttpFunctions().GroupBy(f => f.Route).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var item = new OpenApiPathItem { Operations = [] };
            foreach (var function in route)
            {
                if (!ApiOperations.All.TryGetValue(function.Name, out var spec))
                {
                    throw new InvalidOperationException($"HTTP function {function.Name} has no entry in ApiOperations: document it.");
                }
                foreach (var method in function.Methods)
                {
                    var operationId = function.Methods.Count > 1 ? function.Name + Capitalize(method) : function.Name;
                    item.Operations[new HttpMethod(method)] = Operation(doc, schemas, function, spec, method, operationId);
                }
            }
            doc.Paths["/api/" + route.Key] = item;
        }
        foreach (var tag in ApiOperations.All.Values.Select(o => o.Tag).Distinct().Order(StringComparer.Ordinal))
        {
            doc.Tags.Add(new OpenApiTag { Name = tag, Description = TagDescriptions.GetValueOrDefault(tag, tag) });
        }
        return doc;
    }

    /// <summary>The document as OpenAPI 3.1 JSON.</summary>
    public static async Task<string> ToJsonAsync(OpenApiDocument doc, OpenApiSpecVersion version = OpenApiSpecVersion.OpenApi3_1, CancellationToken cancellationToken = default) =>
        await doc.SerializeAsJsonAsync(version, cancellationToken).ConfigureAwait(false);

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["claims"] = "Expense claims and receipts 報銷申請及收據",
        ["approvals"] = "Approval workflow 審批流程",
        ["delegations"] = "Approver delegations 審批代理",
        ["reports"] = "KPIs 關鍵指標",
        ["privacy"] = "Personal data (PDPO) 個人資料",
        ["audit"] = "Audit log 審計記錄",
        ["admin"] = "Administration 管理",
        ["integrations"] = "Event webhooks and connectors 事件 webhook 及連接器",
        ["meta"] = "This document and its reference page 本文件及參考頁面",
        ["development"] = "Development only 僅限開發環境",
    };

    private static OpenApiOperation Operation(OpenApiDocument doc, SchemaRegistry schemas, HttpFunction function, ApiOperation spec, string method, string operationId)
    {
        var writes = method is "POST" or "PUT" or "PATCH" or "DELETE";
        var op = new OpenApiOperation
        {
            OperationId = operationId,
            Summary = $"{spec.SummaryEn} · {spec.SummaryZh}",
            Description = $"{spec.En}\n\n{spec.Zh}" + (spec.DevelopmentOnly ? "\n\nDevelopment only: elsewhere this path answers 404. 僅限開發環境，其他環境返回 404。" : ""),
            Tags = new HashSet<OpenApiTagReference> { new(spec.Tag, doc) },
            Parameters = [],
            Responses = [],
        };
        if (spec.DevelopmentOnly)
        {
            op.Extensions = new Dictionary<string, IOpenApiExtension>(StringComparer.Ordinal) { ["x-development-only"] = new JsonNodeExtension(JsonValue.Create(true)) };
        }
        foreach (var segment in function.Route.Split('/').Where(s => s.StartsWith('{')))
        {
            var name = segment.Trim('{', '}', '*', '?');
            op.Parameters.Add(new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Path, Required = true, Description = PathDescriptions.GetValueOrDefault(name, name),
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        foreach (var q in spec.Query)
        {
            op.Parameters.Add(new OpenApiParameter
            {
                Name = q.Name, In = ParameterLocation.Query, Description = $"{q.En} {q.Zh}",
                Schema = new OpenApiSchema { Type = q.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String, Format = q.Format },
            });
        }
        if (function.Name == "SubmitClaim")
        {
            op.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key", In = ParameterLocation.Header,
                Description = "Printable ASCII, at most 200 characters: a retry with the same key returns the first claim. 相同的鍵重試時返回第一次的申請。",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 200 },
            });
        }
        var bodies = method == "GET" || method == "DELETE" ? [] : spec.Bodies;
        if (bodies.Count > 0)
        {
            op.RequestBody = new OpenApiRequestBody
            {
                Required = function.Name != "SubmitDraft",
                Content = bodies.ToDictionary(b => b.ContentType, b => (IOpenApiMediaType)new OpenApiMediaType
                {
                    Schema = b.RawSchema is not null ? schemas.Raw(b.RawSchema()) : schemas.For(b.Schema!, ApiJson, request: true),
                    Example = b.Example is null ? null : JsonSerializer.SerializeToNode(b.Example, ApiJson),
                }),
            };
        }

        foreach (var group in spec.Replies.GroupBy(r => r.Status))
        {
            var first = group.First();
            var response = new OpenApiResponse { Description = string.Join(" ", group.Select(r => $"{r.En} {r.Zh}")) };
            if (first.ContentType.Length > 0)
            {
                response.Content = new Dictionary<string, IOpenApiMediaType>(StringComparer.Ordinal);
                foreach (var r in group)
                {
                    if (r.Status >= 400 && r.ContentType == "application/json")
                    {
                        response.Content["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, doc) };
                        continue;
                    }
                    response.Content[r.ContentType] = new OpenApiMediaType
                    {
                        Schema = r.Schema is not null ? schemas.For(r.Schema, spec.Json ?? ApiJson)
                            : r.Binary ? new OpenApiSchema { Type = JsonSchemaType.String, ContentMediaType = "application/octet-stream" }
                            : new OpenApiSchema { Type = r.ContentType == "application/json" ? JsonSchemaType.Object : JsonSchemaType.String },
                        Example = r.Example is null ? null : JsonSerializer.SerializeToNode(r.Example, spec.Json ?? ApiJson),
                    };
                }
            }
            if (first.Status == 201 || (first.Status == 202 && function.Name is "SubmitClaim" or "SubmitDraft"))
            {
                response.Headers = new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal)
                {
                    ["Location"] = new OpenApiHeader { Description = "The resource's URL. 資源網址。", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                };
            }
            op.Responses[first.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = response;
        }

        void Problem(int status, string en, string zh, params string[] types)
        {
            if (op.Responses.ContainsKey(status.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            {
                // The operation's own words come first; the shape is the same ProblemDetails.
                var own = (OpenApiResponse)op.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
                own.Content ??= new Dictionary<string, IOpenApiMediaType>(StringComparer.Ordinal);
                own.Content["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, doc) };
                own.Content.Remove("application/json");
                return;
            }
            op.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{en} {zh}" + (types.Length > 0 ? " `type`: " + string.Join(", ", types.Select(t => $"`{t}`")) : ""),
                Content = new Dictionary<string, IOpenApiMediaType>(StringComparer.Ordinal)
                {
                    ["application/problem+json"] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(ProblemSchema, doc) },
                },
            };
        }

        if (bodies.Count > 0 || spec.Query.Count > 0 || writes)
        {
            Problem(400, "Bad request: every bad field is listed in `errors`.", "請求無效：所有錯誤欄位列於 `errors`。", Problems.Validation, Problems.MalformedRequest);
        }
        if (spec.Access != ApiAccess.Anonymous)
        {
            Problem(401, "Not signed in.", "未登入。", "https://tools.ietf.org/html/rfc9110#section-15.5.2");
            Problem(403, "Not allowed for the caller's role.", "登入者的角色不獲准。", Problems.Forbidden);
            op.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, doc)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(PlatformScheme, doc)] = [] },
            ];
        }
        else
        {
            op.Security = [];
        }
        if (function.Route.Contains('{', StringComparison.Ordinal) || spec.DevelopmentOnly)
        {
            Problem(404, "Not found, or not visible to the caller.", "找不到，或登入者無權查看。", Problems.NotFound);
        }
        if (spec.RateLimited)
        {
            Problem(429, "Too many writes: retry after `Retry-After` seconds.", "寫入過多：請於 `Retry-After` 秒後重試。", Problems.RateLimited);
        }
        Problem(503, "Storage is unavailable; nothing changed. Retry after `Retry-After` seconds.", "儲存暫時無法使用，未有更改；請稍後重試。", Problems.StorageUnavailable);
        foreach (var r in spec.Replies.Where(r => r.Status >= 400))
        {
            Problem(r.Status, r.En, r.Zh);
        }
        return op;
    }

    private static readonly Dictionary<string, string> PathDescriptions = new(StringComparer.Ordinal)
    {
        ["id"] = "The claim's (or delegation's) id. 申請（或代理）編號。",
        ["receiptId"] = "The receipt's id. 收據編號。",
        ["token"] = "The signed link token. 已簽署的連結 token。",
        ["subscriptionId"] = "The subscription's id. 訂閱編號。",
    };

    private static string Capitalize(string method) => method[..1] + method[1..].ToLowerInvariant();

    /// <summary>RFC 9457 problem details as every error of the API is written.</summary>
    private static JsonElement ProblemDetailsSchema()
    {
        var types = typeof(Problems).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).Order(StringComparer.Ordinal);
        return JsonSerializer.SerializeToElement(new Dictionary<string, object>
        {
            ["type"] = "object",
            ["description"] = "RFC 9457 problem details. `type` is stable: " + string.Join(", ", types.Select(t => $"`{t}`")) +
                ", or an RFC 9110 section for plain HTTP errors. 錯誤詳情，`type` 固定不變。",
            ["properties"] = new Dictionary<string, object>
            {
                ["type"] = new { type = "string", format = "uri", description = "What went wrong, stable. 錯誤類型。" },
                ["title"] = new { type = "string" },
                ["status"] = new { type = "integer", format = "int32" },
                ["detail"] = new { type = "string" },
                ["instance"] = new { type = "string" },
                ["traceId"] = new { type = "string" },
                ["errors"] = new Dictionary<string, object>
                {
                    ["type"] = "object", ["description"] = "Every bad field and what is wrong with it. 每個錯誤欄位及原因。",
                    ["additionalProperties"] = new { type = "array", items = new { type = "string" } },
                },
            },
            ["required"] = new[] { "type", "title", "status" },
        });
    }

    /// <summary>Schemas from C# types, with named components for the API's records and inline schemas for the rest.</summary>
    private sealed class SchemaRegistry(OpenApiDocument doc)
    {
        public IOpenApiSchema For(Type type, JsonSerializerOptions options, bool request = false)
        {
            var name = ComponentName(type);
            if (!doc.Components!.Schemas!.ContainsKey(name))
            {
                var exporting = new JsonSerializerOptions(options) { TypeInfoResolver = options.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };
                var node = exporting.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
                {
                    TreatNullObliviousAsNonNullable = true,
                    TransformSchemaNode = (context, schema) =>
                    {
                        // An answer's record writes every property (nulls too): all are required, and nothing else appears.
                        if (request && schema is JsonObject r)
                        {
                            // Every field of a request is optional to the reader; validation reports what is missing.
                            r.Remove("required");
                        }
                        if (!request && schema is JsonObject o && o["properties"] is JsonObject props && context.TypeInfo.Kind == System.Text.Json.Serialization.Metadata.JsonTypeInfoKind.Object)
                        {
                            o["required"] ??= new JsonArray(props.Select(p => (JsonNode?)JsonValue.Create(p.Key)).ToArray());
                            o["additionalProperties"] = false;
                        }
                        return schema;
                    },
                });
                doc.Components.Schemas[name] = Raw(JsonSerializer.SerializeToElement(Inline(node, node, 0)));
            }
            return new OpenApiSchemaReference(name, doc);
        }

        /// <summary>The exporter points repeated types at their first place ("#/properties/…"), which is wrong once the schema
        /// sits under components: copy them in place instead (the API's types are not recursive).</summary>
        private static JsonNode Inline(JsonNode root, JsonNode node, int depth)
        {
            if (depth > 32) throw new InvalidOperationException("Schema too deep (a recursive type?).");
            switch (node)
            {
                case JsonObject o when o["$ref"]?.GetValue<string>() is { } pointer && pointer.StartsWith("#", StringComparison.Ordinal):
                    var target = pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries).Aggregate(root, (n, part) => n[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)]!);
                    var copy = target.DeepClone();
                    foreach (var (k, v) in o.Where(p => p.Key != "$ref").ToList())
                    {
                        copy[k] = v?.DeepClone();
                    }
                    return Inline(root, copy, depth + 1);
                case JsonObject o:
                    var result = new JsonObject();
                    foreach (var (k, v) in o)
                    {
                        result[k] = v is null ? null : Inline(root, v, depth + 1);
                    }
                    return result;
                case JsonArray a:
                    return new JsonArray(a.Select(v => v is null ? null : Inline(root, v, depth + 1)).ToArray());
                default:
                    return node.DeepClone();
            }
        }

        public IOpenApiSchema Raw(JsonElement schema)
        {
            var parsed = new OpenApiJsonReader().ReadFragment<OpenApiSchema>(JsonNode.Parse(schema.GetRawText())!, OpenApiSpecVersion.OpenApi3_1, doc, out var diagnostic);
            if (parsed is null || diagnostic.Errors.Count > 0)
            {
                throw new InvalidOperationException("Schema not accepted: " + string.Join("; ", diagnostic.Errors.Select(e => e.Message)));
            }
            return parsed;
        }

        private static string ComponentName(Type type) =>
            type.IsGenericType
                ? type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)] + string.Concat(type.GetGenericArguments().Select(ComponentName))
                : (type.DeclaringType is { } outer && type.Name is "Export" or "Pics" or "OutboxView" ? outer.Name.Replace("Endpoint", "", StringComparison.Ordinal) : "") + type.Name;
    }
}
