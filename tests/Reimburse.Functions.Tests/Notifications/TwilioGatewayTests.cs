using System.Xml.Linq;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reimburse.Core.Company;
using Reimburse.Functions.Notifications;

namespace Reimburse.Tests.Notifications;

/// <summary>The Twilio client (the library's REST client on our HttpClient) against the loopback server that checks
/// Twilio's documented request shapes.</summary>
public sealed class TwilioGatewayTests
{
    private static TwilioGateway Gateway(FakeTwilio fake, int maxAttempts = 4) => new(Options.Create(new TwilioOptions
    {
        AccountSid = FakeTwilio.AccountSid,
        AuthToken = FakeTwilio.AuthToken,
        From = FakeTwilio.From,
        BaseUrl = fake.BaseAddress.ToString(),
        MaxAttempts = maxAttempts,
        RetryBaseMilliseconds = 10,
    }), TimeProvider.System, NullLogger<TwilioGateway>.Instance);

    [Fact]
    public async Task SendSms_PostsMessagesJsonWithToFromBodyAndCallback()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var twilio = Gateway(fake);

        var result = await twilio.SendSmsAsync("+85291230004", "報銷申請 CLM-1 正等待您審批。", new Uri("https://app.example/api/twilio/status?c=CLM-1&k=reach-1"));

        Assert.Empty(fake.Violations);
        var sms = Assert.Single(fake.Accepted);
        Assert.Equal(("Messages", "+85291230004", FakeTwilio.From, "報銷申請 CLM-1 正等待您審批。", "https://app.example/api/twilio/status?c=CLM-1&k=reach-1"),
            (sms.Kind, sms.Form["To"], sms.Form["From"], sms.Form["Body"], sms.Form["StatusCallback"]));
        Assert.Equal((true, sms.Sid, 1), (result.Sent, result.Sid, result.Attempts));
    }

    [Fact]
    public async Task Call_PostsCallsJsonWithCantoneseTwimlAndKeypressGather()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var twilio = Gateway(fake);
        var twiml = TwilioGateway.CallTwiml("zh-HK", "報銷申請 CLM-1 正等待您審批。", new Uri("https://app.example/api/twilio/keypress?c=CLM-1&k=reach-2"));

        var result = await twilio.CallAsync("+8613800138005", twiml, new Uri("https://app.example/api/twilio/status?c=CLM-1&k=reach-2"));

        Assert.True(result.Sent, result.Error);
        Assert.Empty(fake.Violations);
        var call = Assert.Single(fake.Accepted);
        var doc = XDocument.Parse(call.Form["Twiml"]);
        var gather = Assert.Single(doc.Root!.Elements("Gather"));
        Assert.Equal(("1", "https://app.example/api/twilio/keypress?c=CLM-1&k=reach-2", "POST"),
            (gather.Attribute("numDigits")?.Value, gather.Attribute("action")?.Value, gather.Attribute("method")?.Value));
        Assert.All(gather.Elements("Say"), s => Assert.Equal("zh-HK", s.Attribute("language")?.Value));
        Assert.Equal("Polly.Hiujin-Neural", gather.Elements("Say").First().Attribute("voice")?.Value);
        Assert.Equal("completed", call.Form["StatusCallbackEvent"]);
    }

    [Fact]
    public void CallTwiml_English_UsesEnglishVoice()
    {
        var doc = XDocument.Parse(TwilioGateway.CallTwiml("en", "Claim CLM-1 waits for you.", new Uri("https://app.example/k")));

        Assert.All(doc.Descendants("Say"), s => Assert.Equal("en-GB", s.Attribute("language")?.Value));
        Assert.Contains("press 1", doc.Descendants("Say").Select(s => s.Value).Aggregate((a, b) => a + " " + b), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_429Then500ThenAccepted_RetriedWithBackOffAndSentOnce()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var twilio = Gateway(fake);
        fake.FailNext.Enqueue(429);
        fake.FailNext.Enqueue(500);

        var result = await twilio.SendSmsAsync("+85291230004", "hello", null);

        Assert.Equal((true, 3), (result.Sent, result.Attempts));
        Assert.Single(fake.Accepted);
        Assert.Equal(3, fake.Attempts);
    }

    [Fact]
    public async Task Send_ProviderKeepsFailing_ReportedFailedNotThrown()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var twilio = Gateway(fake, maxAttempts: 3);
        for (var i = 0; i < 5; i++)
        {
            fake.FailNext.Enqueue(503);
        }

        var result = await twilio.SendSmsAsync("+85291230004", "hello", null);

        Assert.False(result.Sent);
        Assert.Equal(3, result.Attempts);
        Assert.Contains("503", result.Error, StringComparison.Ordinal);
        Assert.Empty(fake.Accepted);
    }

    [Fact]
    public async Task Send_BadRequest_NotRetried()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var twilio = Gateway(fake);

        // The product validates numbers first; a number Twilio refuses (400) is not retried.
        var result = await twilio.SendSmsAsync("+1", "hello", null);

        Assert.Equal((false, 1), (result.Sent, result.Attempts));
        Assert.Equal(1, fake.Attempts);
    }

    [Fact]
    public void IsValidSignature_TwilioSignedCallback_AcceptedAndForgeryRefused()
    {
        using var twilio = new TwilioGateway(Options.Create(new TwilioOptions { AccountSid = FakeTwilio.AccountSid, AuthToken = FakeTwilio.AuthToken, From = FakeTwilio.From }),
            TimeProvider.System, NullLogger<TwilioGateway>.Instance);
        var url = "https://app.example/api/twilio/status?c=CLM-1&k=reach-0000000004-002";
        var form = new Dictionary<string, string> { ["MessageSid"] = "SM1", ["MessageStatus"] = "delivered", ["To"] = "+85291230004" };
        var signature = FakeTwilio.Sign(url, form);

        Assert.True(twilio.IsValidSignature(url, form, signature));
        Assert.False(twilio.IsValidSignature(url, new Dictionary<string, string>(form) { ["MessageStatus"] = "failed" }, signature));
        Assert.False(twilio.IsValidSignature(url, form, FakeTwilio.Sign(url, form, authToken: "not-the-token")));
        Assert.False(twilio.IsValidSignature(url, form, null));
    }

    [Theory]
    [InlineData("+85291234567", true)]
    [InlineData("+85221234567", true)]
    [InlineData("+8613912345678", true)]
    [InlineData("+14155550123", true)]
    [InlineData("85291234567", false)]
    [InlineData("+8529123456", false)]
    [InlineData("+85211234567", false)]
    [InlineData("+8623912345678", false)]
    [InlineData("+861391234567", false)]
    [InlineData("+852 9123 4567", false)]
    [InlineData("", false)]
    public void PhoneNumber_E164_HongKongAndMainlandLengthsChecked(string number, bool valid) =>
        Assert.Equal(valid, PhoneNumber.IsValid(number));
}
