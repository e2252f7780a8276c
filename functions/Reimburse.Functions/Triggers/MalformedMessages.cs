using System.Text.Json;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Hosting;

namespace Reimburse.Functions.Triggers;

/// <summary>
/// A queue message that can never be processed (not JSON, not the expected shape, text that is not text, an id that
/// cannot exist) goes to the queue's poison queue at once, with its reason, instead of failing maxDequeueCount times
/// (a crash loop in the logs, an alert per retry). The poison message is a small JSON envelope: the reason, the queue,
/// and the original text. Messages that fail for other reasons still reach poison the host's way, unchanged.
/// </summary>
public sealed partial class MalformedMessages(ReimburseStorage storage, ILogger<MalformedMessages> logger)
{
    /// <summary>The envelope written to &lt;queue&gt;-poison.</summary>
    public sealed record Poisoned(string Reason, string Queue, string? MessageId, DateTimeOffset? InsertedAt, string Message);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int MaxKeptCharacters = 8 * 1024;

    /// <summary>Decodes the message and checks it; on failure moves it to poison with the reason and returns null (the
    /// handler then returns normally, so the message is deleted from its queue).</summary>
    public async Task<T?> DecodeOrPoisonAsync<T>(string queueName, QueueInvocation invocation, Func<T, string?> validate, CancellationToken cancellationToken = default)
        where T : class
    {
        var (message, reason) = await TryDecodeAsync(invocation.MessageText, validate, cancellationToken);
        if (reason is null) return message;
        // The original text, made encodable, and cut so the envelope fits a queue message (64 KiB).
        var original = Core.Text.TextNormalizer.ReplaceInvalid(invocation.MessageText);
        if (original.Length > MaxKeptCharacters) original = original[..MaxKeptCharacters] + $"… ({invocation.MessageText.Length} characters)";
        var envelope = JsonSerializer.Serialize(new Poisoned(reason, queueName, invocation.MessageId, invocation.InsertionTime, original), Json);
        var poison = storage.Queue(queueName + "-poison");
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(envelope, cancellationToken);
        LogMalformed(logger, queueName, invocation.MessageId, reason);
        return null;
    }

    /// <summary>The message when the text decodes to a valid <typeparamref name="T"/>; otherwise why not.</summary>
    public static async Task<(T? Message, string? Reason)> TryDecodeAsync<T>(string text, Func<T, string?> validate, CancellationToken cancellationToken = default)
        where T : class
    {
        if (text.Length > 64 * 1024) return (null, $"The message is {text.Length} characters; ours are small JSON objects.");
        if (Hosting.StrictText.Problem(text) is { } textProblem) return (null, textProblem);
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var (parsed, problem) = await Hosting.StrictText.ReadJsonAsync<T>(body, Json, cancellationToken);
        if (parsed is null)
        {
            return (null, problem is null ? "The message is empty." : $"The message is not a JSON {typeof(T).Name} ({Describe(problem)}).");
        }
        return validate(parsed) is { } invalid ? (null, invalid) : (parsed, null);
    }

    private static string Describe(IResult problem) =>
        problem is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult p ? $"{p.ProblemDetails.Title}: {p.ProblemDetails.Detail}" : "malformed";

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Malformed message {MessageId} on {Queue} moved to poison: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string queue, string? messageId, string reason);
}
