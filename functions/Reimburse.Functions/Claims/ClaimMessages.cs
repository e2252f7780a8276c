using System.Text.Json;

namespace Reimburse.Functions.Claims;

/// <summary>Queue messages are Base64 text of UTF-8 JSON: what the Functions queue trigger expects by default.</summary>
public static class QueueMessages
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>JSON text; the queue client Base64-encodes it on the wire (host.json messageEncoding).</summary>
    public static string Encode<T>(T message) => JsonSerializer.Serialize(message, Json);

    /// <summary>Reads a message's JSON (both hosts hand the trigger the Base64-decoded text).</summary>
    public static T Decode<T>(string text) =>
        JsonSerializer.Deserialize<T>(text, Json) ?? throw new FormatException("Empty queue message.");
}
