using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace Reimburse.Functions.Notifications;

/// <summary>E-mail to each recipient's address from the company directory, through <see cref="MiniSmtpClient"/>.</summary>
public sealed class SmtpChannel(IOptions<NotificationOptions> options, TimeProvider clock) : INotificationChannel
{
    public const string ChannelName = "email";
    private readonly SmtpOptions _o = options.Value.Smtp;

    public string Name => ChannelName;
    public bool IsConfigured => _o.Enabled;

    public async Task SendAsync(ChannelDelivery delivery, CancellationToken cancellationToken = default)
    {
        var to = delivery.Recipients.Where(r => !string.IsNullOrWhiteSpace(r.Email)).Select(r => r.Email!).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (to.Count == 0)
        {
            throw new NotificationChannelException("No recipient has an e-mail address in the company directory.");
        }
        var message = new SmtpMessage(_o.From!, to, delivery.Message.Subject, delivery.Message.Text, clock.GetUtcNow(),
            $"<{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(delivery.Notification.IdempotencyKey)))[..32]}@reimburse>");
        await new MiniSmtpClient(_o).SendAsync(message, cancellationToken);
    }
}

/// <summary>A plain-text UTF-8 e-mail.</summary>
public sealed record SmtpMessage(string From, IReadOnlyList<string> To, string Subject, string Body, DateTimeOffset Date, string MessageId)
{
    /// <summary>Enough to keep header injection and obvious typos out: one @, no spaces, angle brackets or line breaks.</summary>
    public static bool IsPlausibleAddress(string address) =>
        address.Count(c => c == '@') == 1 && address.IndexOf('@') > 0 && address.IndexOf('@') < address.Length - 1
        && !address.Any(c => char.IsWhiteSpace(c) || c is '<' or '>' or ',' or ';' or '"');

    /// <summary>The RFC 5322 message with CRLF line ends, before dot-stuffing: UTF-8 subject as RFC 2047 encoded-words,
    /// body quoted-printable so Traditional Chinese survives 7-bit relays.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        sb.Append("From: <").Append(From).Append(">\r\n");
        sb.Append("To: ").Append(string.Join(", ", To.Select(t => $"<{t}>"))).Append("\r\n");
        sb.Append("Subject: ").Append(EncodeHeader(Subject)).Append("\r\n");
        sb.Append("Date: ").Append(Date.ToString("r")).Append("\r\n");
        sb.Append("Message-ID: ").Append(MessageId).Append("\r\n");
        sb.Append("MIME-Version: 1.0\r\n");
        sb.Append("Content-Type: text/plain; charset=utf-8\r\n");
        sb.Append("Content-Transfer-Encoding: quoted-printable\r\n");
        sb.Append("\r\n");
        sb.Append(QuotedPrintable(Body));
        return sb.ToString();
    }

    /// <summary>RFC 2047 B-encoding in words of at most 39 bytes (so a folded line stays under 78 characters), never splitting a UTF-8 sequence.</summary>
    public static string EncodeHeader(string value)
    {
        if (value.All(c => c is >= ' ' and < (char)127))
        {
            return value;
        }
        var words = new List<string>();
        var chunk = new StringBuilder();
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(value);
        while (e.MoveNext())
        {
            var element = e.GetTextElement();
            if (Encoding.UTF8.GetByteCount(chunk + element) > 39)
            {
                words.Add(Word(chunk.ToString()));
                chunk.Clear();
            }
            chunk.Append(element);
        }
        if (chunk.Length > 0) words.Add(Word(chunk.ToString()));
        return string.Join("\r\n ", words);

        static string Word(string s) => $"=?UTF-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(s.Replace('\r', ' ').Replace('\n', ' ')))}?=";
    }

    /// <summary>RFC 2045 quoted-printable of the UTF-8 text, CRLF line ends, soft breaks at 76 characters.</summary>
    public static string QuotedPrintable(string text)
    {
        var sb = new StringBuilder();
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            var col = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                var b = bytes[i];
                var last = i == bytes.Length - 1;
                var literal = (b is >= 33 and <= 126 && b != (byte)'=') || (b is (byte)' ' or (byte)'\t' && !last);
                var piece = literal ? ((char)b).ToString() : $"={b:X2}";
                if (col + piece.Length > 75)
                {
                    sb.Append("=\r\n");
                    col = 0;
                }
                sb.Append(piece);
                col += piece.Length;
            }
            sb.Append("\r\n");
        }
        return sb.ToString();
    }
}

/// <summary>Failure reported by an SMTP server (code and text).</summary>
public sealed class SmtpException(int code, string message) : Exception($"SMTP {code}: {message}")
{
    public int Code { get; } = code;
}

/// <summary>Minimal SMTP client (RFC 5321): EHLO, STARTTLS when configured (and then required), AUTH PLAIN or LOGIN when
/// configured, MAIL FROM, RCPT TO per recipient, DATA with dot-stuffing, QUIT.</summary>
public sealed class MiniSmtpClient(SmtpOptions options)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task SendAsync(SmtpMessage message, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var ct = timeout.Token;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(options.Host!, options.Port, ct);
        Stream stream = tcp.GetStream();
        try
        {
            var session = new Session(stream);
            await session.ExpectAsync(220, ct);
            var ehlo = await session.CommandAsync("EHLO reimburse", 250, ct);
            if (options.UseStartTls)
            {
                if (!Offers(ehlo, "STARTTLS"))
                {
                    throw new SmtpException(0, "the server does not offer STARTTLS, which is required (Smtp:UseStartTls)");
                }
                await session.CommandAsync("STARTTLS", 220, ct);
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.Host }, ct);
                stream = tls;
                session = new Session(stream);
                ehlo = await session.CommandAsync("EHLO reimburse", 250, ct);
            }
            if (!string.IsNullOrEmpty(options.User))
            {
                var user = options.User!;
                var password = options.Password ?? "";
                var auth = ehlo.FirstOrDefault(l => l.StartsWith("AUTH", StringComparison.OrdinalIgnoreCase)) ?? "";
                if (auth.Contains("PLAIN", StringComparison.OrdinalIgnoreCase) || !auth.Contains("LOGIN", StringComparison.OrdinalIgnoreCase))
                {
                    await session.CommandAsync("AUTH PLAIN " + B64($"\0{user}\0{password}"), 235, ct);
                }
                else
                {
                    await session.CommandAsync("AUTH LOGIN", 334, ct);
                    await session.CommandAsync(B64(user), 334, ct);
                    await session.CommandAsync(B64(password), 235, ct);
                }
            }
            await session.CommandAsync($"MAIL FROM:<{Checked(message.From)}>", 250, ct);
            foreach (var to in message.To)
            {
                await session.CommandAsync($"RCPT TO:<{Checked(to)}>", 250, ct, alsoOk: 251);
            }
            await session.CommandAsync("DATA", 354, ct);
            await session.WriteRawAsync(DotStuff(message.Format()) + ".\r\n", ct);
            await session.ExpectAsync(250, ct);
            try { await session.CommandAsync("QUIT", 221, ct); } catch (Exception ex) when (ex is SmtpException or IOException) { /* the message is accepted already */ }
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>RFC 5321 §4.5.2: a line starting with "." gets one more. Expects CRLF line ends; ends with CRLF.</summary>
    public static string DotStuff(string data)
    {
        var lines = data.Split("\r\n");
        var sb = new StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            if (i == lines.Length - 1 && lines[i].Length == 0) break;
            if (lines[i].StartsWith('.')) sb.Append('.');
            sb.Append(lines[i]).Append("\r\n");
        }
        return sb.ToString();
    }

    private static bool Offers(IReadOnlyList<string> ehlo, string extension) =>
        ehlo.Any(l => l.Equals(extension, StringComparison.OrdinalIgnoreCase) || l.StartsWith(extension + " ", StringComparison.OrdinalIgnoreCase));

    private static string Checked(string address) => SmtpMessage.IsPlausibleAddress(address) ? address : throw new SmtpException(0, $"refusing address '{address}'");

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    private sealed class Session(Stream stream)
    {
        private readonly StreamReader _reader = new(stream, new UTF8Encoding(false), false, 1024, leaveOpen: true);

        public async Task WriteRawAsync(string text, CancellationToken ct)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            await stream.FlushAsync(ct);
        }

        public async Task<IReadOnlyList<string>> CommandAsync(string line, int expected, CancellationToken ct, int alsoOk = -1)
        {
            await WriteRawAsync(line + "\r\n", ct);
            return await ExpectAsync(expected, ct, alsoOk);
        }

        /// <summary>Reads a (multi-line) reply; returns the text of each line without the code.</summary>
        public async Task<IReadOnlyList<string>> ExpectAsync(int expected, CancellationToken ct, int alsoOk = -1)
        {
            var lines = new List<string>();
            while (true)
            {
                var line = await _reader.ReadLineAsync(ct) ?? throw new IOException("SMTP server closed the connection.");
                if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
                {
                    throw new SmtpException(0, $"malformed reply '{line}'");
                }
                lines.Add(line.Length > 4 ? line[4..] : "");
                if (line.Length > 3 && line[3] == '-') continue;
                if (code != expected && code != alsoOk)
                {
                    throw new SmtpException(code, string.Join(" ", lines));
                }
                return lines;
            }
        }
    }
}
