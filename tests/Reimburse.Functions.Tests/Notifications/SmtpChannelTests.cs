using System.Text;
using System.Text.RegularExpressions;
using Reimburse.Functions.Notifications;
using Reimburse.Testing;

namespace Reimburse.Tests.Notifications;

public sealed class SmtpChannelTests
{
    private static SmtpOptions Smtp(LoopbackSmtpServer server, string? user = null) => new()
    {
        Host = "127.0.0.1", Port = server.Port, From = "reimburse@harbour.example", UseStartTls = false, User = user, Password = user is null ? null : "p@ss 密碼",
    };

    private static SmtpChannel Channel(SmtpOptions smtp) => new(NotificationTestData.Options(o => o.Smtp = smtp), TimeProvider.System);

    private static Dictionary<string, string> Headers(string message) =>
        Regex.Replace(message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)], "\r\n[ \t]+", " ")
            .Split("\r\n").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);

    private static string DecodeWords(string header) =>
        string.Concat(Regex.Matches(header, @"=\?UTF-8\?B\?([^?]*)\?=").Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[1].Value))));

    private static string DecodeQuotedPrintable(string body)
    {
        var joined = body.Replace("=\r\n", "");
        var bytes = new List<byte>();
        for (var i = 0; i < joined.Length; i++)
        {
            if (joined[i] == '=') { bytes.Add(Convert.ToByte(joined.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.AddRange(Encoding.ASCII.GetBytes(joined[i].ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    [Fact]
    public async Task SendAsync_Envelope_MailFromAndOneRcptPerDirectoryAddress()
    {
        await using var server = new LoopbackSmtpServer();
        var n = NotificationTestData.Approval();
        var delivery = new ChannelDelivery(n, NotificationRenderer.Render(n),
            [new("fin-lam", "Lam", "fin.lam@harbour.example"), new("fin-cheung", "Cheung", "fin.cheung@harbour.example"), new("ghost", null, null)]);

        await Channel(Smtp(server)).SendAsync(delivery, TestTimeout.Token());

        var commands = server.Conversation.Where(l => Regex.IsMatch(l, "^(EHLO|MAIL|RCPT|DATA|QUIT)")).ToList();
        Assert.Equal(["EHLO reimburse", "MAIL FROM:<reimburse@harbour.example>", "RCPT TO:<fin.lam@harbour.example>", "RCPT TO:<fin.cheung@harbour.example>", "DATA", "QUIT"], commands);
    }

    [Fact]
    public async Task SendAsync_Headers_Utf8SubjectSurvivesAndTraditionalChineseBodyDecodes()
    {
        await using var server = new LoopbackSmtpServer();
        var delivery = NotificationTestData.Delivery();

        await Channel(Smtp(server)).SendAsync(delivery, TestTimeout.Token());

        var message = Assert.Single(server.Messages);
        var headers = Headers(message);
        Assert.Equal("<reimburse@harbour.example>", headers["From"]);
        Assert.Equal("<mgr.wong@harbour.example>", headers["To"]);
        Assert.Equal("1.0", headers["MIME-Version"]);
        Assert.Equal("text/plain; charset=utf-8", headers["Content-Type"]);
        Assert.Equal(delivery.Message.Subject, DecodeWords(headers["Subject"]));
        Assert.All(message.Split("\r\n"), line => Assert.True(line.Length <= 78 && line.All(c => c < 128), $"not 7-bit/short: {line}"));
        var body = DecodeQuotedPrintable(message[(message.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.Equal(delivery.Message.Text.Replace("\n", "\r\n") + "\r\n", body);
    }

    [Fact]
    public async Task SendAsync_BodyLineStartingWithDot_IsDotStuffedOnTheWire()
    {
        await using var server = new LoopbackSmtpServer();
        var n = NotificationTestData.Approval();
        var text = "first line\n.hidden? no, stuffed\n.\nlast";
        var delivery = new ChannelDelivery(n, new RenderedMessage("Dots", text, text, []), [new("mgr-wong", null, "mgr.wong@harbour.example")]);

        await Channel(Smtp(server)).SendAsync(delivery, TestTimeout.Token());

        Assert.Contains("..hidden? no, stuffed", server.Conversation);
        Assert.Contains("..", server.Conversation);
        var message = Assert.Single(server.Messages);
        Assert.Equal(text.Replace("\n", "\r\n") + "\r\n", DecodeQuotedPrintable(message[(message.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]));
    }

    [Fact]
    public async Task SendAsync_WithCredentials_AuthenticatesWithPlain()
    {
        await using var server = new LoopbackSmtpServer();

        await Channel(Smtp(server, "notify@harbour.example")).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token());

        var auth = Assert.Single(server.Conversation, l => l.StartsWith("AUTH", StringComparison.Ordinal));
        Assert.Equal("AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0notify@harbour.example\0p@ss 密碼")), auth);
    }

    [Fact]
    public async Task SendAsync_ServerOffersOnlyLogin_AuthenticatesWithLogin()
    {
        await using var server = new LoopbackSmtpServer("AUTH LOGIN");

        await Channel(Smtp(server, "notify@harbour.example")).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token());

        var lines = server.Conversation.ToList();
        var i = lines.IndexOf("AUTH LOGIN");
        Assert.True(i >= 0);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("notify@harbour.example")), lines[i + 1]);
    }

    [Fact]
    public async Task SendAsync_StartTlsRequiredButNotOffered_FailsWithoutSendingMail()
    {
        await using var server = new LoopbackSmtpServer();
        var smtp = Smtp(server, "notify@harbour.example");
        smtp.UseStartTls = true;

        await Assert.ThrowsAsync<SmtpException>(() => Channel(smtp).SendAsync(NotificationTestData.Delivery(), TestTimeout.Token()));
        Assert.DoesNotContain(server.Conversation, l => l.StartsWith("AUTH", StringComparison.Ordinal) || l.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendAsync_NoRecipientHasAnAddress_Fails()
    {
        await using var server = new LoopbackSmtpServer();
        var n = NotificationTestData.Approval();

        await Assert.ThrowsAsync<NotificationChannelException>(() => Channel(Smtp(server)).SendAsync(new ChannelDelivery(n, NotificationRenderer.Render(n), [new("ghost", null, null)]), TestTimeout.Token()));
    }
}
