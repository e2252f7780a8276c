using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Notifications;

/// <summary>Generic webhook: POSTs JSON to the configured URL, signed with
/// <c>X-Reimburse-Signature: t={unix seconds},v1={hex HMAC-SHA256(secret, t + "." + body bytes)}</c>, and names the
/// notification in <c>X-Reimburse-Delivery</c> so a receiver can drop a repeat.</summary>
public sealed class WebhookChannel(IOptions<NotificationOptions> options, NotificationHttp http, TimeProvider clock) : INotificationChannel
{
    public const string ChannelName = "webhook";
    public const string SignatureHeader = "X-Reimburse-Signature";
    public const string DeliveryHeader = "X-Reimburse-Delivery";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly WebhookOptions _o = options.Value.Webhook;

    public string Name => ChannelName;
    public bool IsConfigured => _o.Enabled;

    public async Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        var n = delivery.Notification;
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = n.IdempotencyKey,
            claimId = n.ClaimId,
            template = n.Template,
            recipients = delivery.Recipients.Select(r => new { userId = r.UserId, name = r.Name, email = r.Email }),
            subject = delivery.Message.Subject,
            text = delivery.Message.Text,
            data = n.Data,
            links = n.Links,
        }, Json);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var response = await http.PostAsync(new Uri(_o.Url!), content, cancellationToken,
        [
            new(SignatureHeader, Signature(_o.Secret!, timestamp, body)),
            new(DeliveryHeader, n.IdempotencyKey),
        ]);
        if (!response.IsSuccessStatusCode)
        {
            throw new NotificationChannelException($"Webhook answered HTTP {(int)response.StatusCode}.");
        }
    }

    /// <summary>t={unix seconds},v1={lower-case hex HMAC-SHA256(UTF-8 secret, "{t}." + exact body bytes)}.</summary>
    public static string Signature(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{unixSeconds}.");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message))}";
    }
}
