namespace Reimburse.Core.Receipts;

/// <summary>An extracted value and how sure the extractor is of it (0..1).</summary>
public sealed record FieldValue<T>(T Value, double Confidence);

/// <summary>What a receipt says, field by field; a null field was not found.</summary>
public sealed record ReceiptFields
{
    public FieldValue<string>? Merchant { get; init; }
    public FieldValue<DateOnly>? Date { get; init; }
    public FieldValue<TimeOnly>? Time { get; init; }
    public FieldValue<decimal>? Total { get; init; }
    public FieldValue<decimal>? Subtotal { get; init; }
    public FieldValue<decimal>? Tax { get; init; }
    public FieldValue<decimal>? ServiceCharge { get; init; }

    /// <summary>ISO 4217 code (HKD, MOP, CNY, MYR, USD, SGD …).</summary>
    public FieldValue<string>? Currency { get; init; }
    public FieldValue<string>? ReceiptNumber { get; init; }

    /// <summary>Normalised payment method: Cash, Visa, Mastercard, Amex, UnionPay, Octopus, Alipay, WeChatPay, PayMe, FPS, EPS, Card.</summary>
    public FieldValue<string>? PaymentMethod { get; init; }

    /// <summary>The total as Money when both total and currency are known.</summary>
    public Money? TotalMoney => Total is { } t && Currency is { } c ? new Money(t.Value, c.Value) : null;
}

/// <summary>Whether a receipt could be read.</summary>
public enum ReceiptReadStatus
{
    Read,
    Unreadable,
}

/// <summary>
/// The stored result of reading one receipt file (keyed by its SHA-256 by the caller): status, OCR text,
/// engine, duration and extracted fields. JSON-serialisable.
/// </summary>
public sealed record ReceiptReading(
    ReceiptReadStatus Status,
    string? Reason,
    string Engine,
    string EngineVersion,
    TimeSpan Duration,
    OcrDocument? Document,
    ReceiptFields? Fields,
    bool Retryable = false)
{
    public static ReceiptReading Read(string engine, string engineVersion, TimeSpan duration, OcrDocument document, ReceiptFields fields) =>
        new(ReceiptReadStatus.Read, null, engine, engineVersion, duration, document, fields);

    /// <summary>Not read; <paramref name="retryable"/> when the engine failed (crash, hang, throttling) rather than the file.</summary>
    public static ReceiptReading Unreadable(string reason, string engine, string engineVersion, TimeSpan duration, bool retryable = false) =>
        new(ReceiptReadStatus.Unreadable, reason, engine, engineVersion, duration, null, null, retryable);
}
