using System.Net.Sockets;
using Azure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Reimburse.Functions.Hosting;

/// <summary>RFC 9457 problem types. The type URIs are stable: clients may switch on them.</summary>
public static partial class Problems
{
    private const string Base = "https://reimburse.example/problems/";
    public const string Validation = Base + "validation";
    public const string MalformedRequest = Base + "malformed-request";
    public const string UnsupportedReceipt = Base + "unsupported-receipt";
    public const string TooLarge = Base + "payload-too-large";
    public const string NotFound = Base + "not-found";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string Conflict = Base + "conflict";
    public const string IdempotencyMismatch = Base + "idempotency-key-reused";
    public const string StorageUnavailable = Base + "storage-unavailable";
    public const string Internal = Base + "internal";
    public const string RateLimited = Base + "rate-limited";
    public const string CrossSite = Base + "cross-site-form";

    public static ProblemDetails Create(HttpContext context, int status, string type, string title, string? detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail, Instance = context.Request.Path };
        problem.Extensions["traceId"] = context.TraceIdentifier;
        foreach (var (k, v) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[k] = v;
        }
        return problem;
    }

    public static Task Write(HttpContext context, int status, string type, string title, string? detail, IDictionary<string, object?>? extensions = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Create(context, status, type, title, detail, extensions), (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    /// <summary>400 listing every bad field at once.</summary>
    public static IResult ValidationFailed(IReadOnlyDictionary<string, string[]> errors, string? detail = null) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors.ToDictionary(kv => kv.Key, kv => kv.Value))
        {
            Status = StatusCodes.Status400BadRequest,
            Type = Validation,
            Title = "The claim has invalid fields",
            Detail = detail ?? "Fix the fields listed in 'errors' and try again.",
        });

    public static IResult Problem(int status, string type, string title, string? detail, string? field = null)
    {
        var pd = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail };
        if (field is not null)
        {
            pd.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [detail ?? title] };
        }
        return TypedResults.Problem(pd);
    }

    public static IResult NotFoundResult(string what) => Problem(StatusCodes.Status404NotFound, NotFound, "Not found", $"No {what} with that id is visible to you.");

    /// <summary>Maps unhandled exceptions: storage outages become 503 with Retry-After; nothing leaks a stack trace.</summary>
    public static IApplicationBuilder UseReimburseExceptionHandler(this IApplicationBuilder app) =>
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Reimburse.Errors");
            if (IsMissingResource(ex))
            {
                // Tables/queues/containers vanished (storage reset or emulator data lost): recreate them and ask the client
                // to retry, instead of failing every request from now on.
                context.RequestServices.GetRequiredService<StartupInitializer>().RecreateInBackground();
            }
            if (IsStorageOutage(ex) || IsMissingResource(ex))
            {
                LogStorageOutage(logger, ex!.GetType().Name, context.Request.Path);
                context.Response.Headers.RetryAfter = "5";
                await Write(context, StatusCodes.Status503ServiceUnavailable, StorageUnavailable, "Storage is unavailable",
                    "The claim store cannot be reached right now. Nothing was changed; retry in a few seconds.");
                return;
            }
            if (ex is BadHttpRequestException bad)
            {
                await Write(context, bad.StatusCode, bad.StatusCode == 413 ? TooLarge : MalformedRequest, "Bad request", bad.Message);
                return;
            }
            LogUnhandled(logger, ex, context.Request.Path);
            await Write(context, StatusCodes.Status500InternalServerError, Internal, "Unexpected error",
                "Something went wrong on our side. The trace id identifies it in the logs.");
        }));

    /// <summary>Connection failures, time-outs and 5xx from storage mean "try again", not "bug".</summary>
    public static bool IsStorageOutage(Exception? ex) => ex switch
    {
        RequestFailedException rfe => rfe.Status == 0 || rfe.Status >= 500 || rfe.InnerException is HttpRequestException or SocketException,
        HttpRequestException or SocketException or TimeoutException => true,
        TaskCanceledException tce => tce.InnerException is TimeoutException,
        AggregateException agg => agg.InnerExceptions.All(IsStorageOutage),
        _ => false,
    };

    /// <summary>The storage account answers, but a table, queue or container we created at start is gone.</summary>
    public static bool IsMissingResource(Exception? ex) =>
        ex is RequestFailedException { Status: 404, ErrorCode: "TableNotFound" or "QueueNotFound" or "ContainerNotFound" }
        // The durable client's call failed inside the engine (its gRPC sidecar passes no detail on): most often the task
        // hub's storage is down or was lost with the emulator's data.
        or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unknown or Grpc.Core.StatusCode.Unavailable };

    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}) while serving {Path}")]
    private static partial void LogStorageOutage(ILogger logger, string exceptionType, string path);

    [LoggerMessage(EventId = 901, Level = LogLevel.Error, Message = "Unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception? exception, string path);
}
