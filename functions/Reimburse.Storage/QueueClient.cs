using System.Globalization;
using System.Xml.Linq;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Reimburse.Storage;

/// <summary>A received message; PopReceipt is needed to delete or update it.</summary>
public sealed record QueueMessage(string MessageId, string PopReceipt, long DequeueCount, string MessageText, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

/// <summary>What Put Message returns.</summary>
public sealed record SendReceipt(string MessageId, string PopReceipt, DateTimeOffset InsertionTime, DateTimeOffset ExpirationTime, DateTimeOffset NextVisibleTime);

/// <summary>What Update Message returns: the new pop receipt.</summary>
public sealed record UpdateReceipt(string PopReceipt, DateTimeOffset NextVisibleTime);

/// <summary>One queue. Message text is sent as given (callers choose Base64 or not).</summary>
public sealed class QueueClient
{
    private static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);
    private readonly HttpPipeline _pipeline;
    private readonly string _version;
    private readonly Uri _uri;

    public QueueClient(StorageAccount account, string queueName, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentException.ThrowIfNullOrWhiteSpace(queueName);
        options ??= new StorageClientOptions();
        Name = queueName;
        _uri = StorageTransport.Combine(account.QueueEndpoint, Uri.EscapeDataString(queueName));
        _version = options.BlobQueueVersion;
        _pipeline = StorageTransport.BuildPipeline(account, options, table: false);
    }

    /// <summary>Queue name.</summary>
    public string Name { get; }

    /// <summary>Creates the queue; an existing queue (204, or 409 when its metadata differs) is fine.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Put, "", []);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201, 204, 409).ConfigureAwait(false);
    }

    /// <summary>Visibility delay ≤ 7 days; timeToLive null = service default, TimeSpan.MinValue or negative = never expires (-1).</summary>
    public async Task<SendReceipt> SendMessageAsync(string messageText, TimeSpan? visibilityTimeout = null, TimeSpan? timeToLive = null, CancellationToken cancellationToken = default)
    {
        CheckText(messageText, nameof(messageText));
        CheckVisibility(visibilityTimeout, nameof(visibilityTimeout));
        string? ttl = timeToLive switch
        {
            null => null,
            { } t when t < TimeSpan.Zero => "-1",
            { } t when t < TimeSpan.FromSeconds(1) => throw new ArgumentOutOfRangeException(nameof(timeToLive), t, "timeToLive must be at least 1 second, or negative for never."),
            { } t => ((long)t.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        };
        using var message = Create(RequestMethod.Post, "messages", [
            ("visibilitytimeout", visibilityTimeout is { } v ? Seconds(v) : null),
            ("messagettl", ttl)]);
        message.Request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
        message.Request.Content = RequestContent.Create(BinaryData.FromString(MessageBody(messageText)));
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 201).ConfigureAwait(false);
        var m = Messages(response).FirstOrDefault() ?? throw new RequestFailedException(response.Status, "Put Message returned no message.");
        return new SendReceipt(Text(m, "MessageId"), Text(m, "PopReceipt"), Time(m, "InsertionTime"), Time(m, "ExpirationTime"), Time(m, "TimeNextVisible"));
    }

    /// <summary>Gets 1..32 messages, hiding them for visibilityTimeout.</summary>
    public async Task<IReadOnlyList<QueueMessage>> ReceiveMessagesAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 32);
        if (visibilityTimeout < TimeSpan.FromSeconds(1) || visibilityTimeout > MaxVisibility)
        {
            throw new ArgumentOutOfRangeException(nameof(visibilityTimeout), visibilityTimeout, "Visibility timeout must be 1 second to 7 days.");
        }
        using var message = Create(RequestMethod.Get, "messages", [
            ("numofmessages", maxMessages.ToString(CultureInfo.InvariantCulture)),
            ("visibilitytimeout", Seconds(visibilityTimeout))]);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        return Messages(response).Select(m => new QueueMessage(
            Text(m, "MessageId"),
            Text(m, "PopReceipt"),
            long.Parse(Text(m, "DequeueCount"), CultureInfo.InvariantCulture),
            Text(m, "MessageText"),
            Time(m, "InsertionTime"),
            Time(m, "ExpirationTime"),
            Time(m, "TimeNextVisible"))).ToList();
    }

    public async Task DeleteMessageAsync(string messageId, string popReceipt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        using var message = Create(RequestMethod.Delete, "messages/" + Uri.EscapeDataString(messageId), [("popreceipt", popReceipt)]);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
    }

    /// <summary>Changes visibility (and optionally text); returns the new pop receipt.</summary>
    public async Task<UpdateReceipt> UpdateMessageAsync(string messageId, string popReceipt, TimeSpan visibilityTimeout, string? messageText = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        ArgumentException.ThrowIfNullOrEmpty(popReceipt);
        CheckVisibility(visibilityTimeout, nameof(visibilityTimeout));
        using var message = Create(RequestMethod.Put, "messages/" + Uri.EscapeDataString(messageId), [
            ("popreceipt", popReceipt),
            ("visibilitytimeout", Seconds(visibilityTimeout))]);
        if (messageText is not null)
        {
            CheckText(messageText, nameof(messageText));
            message.Request.Headers.SetValue("Content-Type", "application/xml; charset=utf-8");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(MessageBody(messageText)));
        }
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
        return new UpdateReceipt(
            StorageTransport.Header(response, "x-ms-popreceipt"),
            StorageTransport.ParseHttpDate(StorageTransport.Header(response, "x-ms-time-next-visible")));
    }

    public async Task<int> GetApproximateMessageCountAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Get, "", [("comp", "metadata")]);
        var response = await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 200).ConfigureAwait(false);
        return int.Parse(StorageTransport.Header(response, "x-ms-approximate-messages-count"), CultureInfo.InvariantCulture);
    }

    public async Task ClearMessagesAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete, "messages", []);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204).ConfigureAwait(false);
    }

    /// <summary>Deletes the queue; swallows 404 only.</summary>
    public async Task DeleteIfExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = Create(RequestMethod.Delete, "", []);
        await StorageTransport.SendAsync(_pipeline, message, cancellationToken, 204, 404).ConfigureAwait(false);
    }

    private static string MessageBody(string text) =>
        new XElement("QueueMessage", new XElement("MessageText", text)).ToString(SaveOptions.DisableFormatting);

    private static IEnumerable<XElement> Messages(Response response) =>
        XDocument.Parse(response.Content.ToString()).Root?.Elements("QueueMessage") ?? [];

    private static string Text(XElement message, string name) => message.Element(name)?.Value ?? "";

    private static DateTimeOffset Time(XElement message, string name) =>
        message.Element(name)?.Value is { Length: > 0 } value ? StorageTransport.ParseHttpDate(value) : default;

    private static string Seconds(TimeSpan value) => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>The service caps a message at 64 KiB; fail before the round trip with a clear message.</summary>
    private static void CheckText(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text, name);
        if (System.Text.Encoding.UTF8.GetByteCount(text) > 64 * 1024)
        {
            throw new ArgumentException("Queue message text is larger than 64 KiB; store the payload in a blob and send its name.", name);
        }
    }

    private static void CheckVisibility(TimeSpan? value, string name)
    {
        if (value is { } v && (v < TimeSpan.Zero || v > MaxVisibility))
        {
            throw new ArgumentOutOfRangeException(name, v, "Visibility timeout must be 0 to 7 days.");
        }
    }

    private HttpMessage Create(RequestMethod method, string escapedPath, IEnumerable<(string, string?)> query) =>
        StorageTransport.CreateMessage(_pipeline, method, StorageTransport.Combine(_uri, escapedPath, query), _version);
}
