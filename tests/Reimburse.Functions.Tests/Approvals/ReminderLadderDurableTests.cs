using System.Net;
using System.Text.Json;
using Reimburse.Testing;
using Reimburse.Tests.Infrastructure;
using Reimburse.Tests.Notifications;

namespace Reimburse.Tests.Approvals;

/// <summary>The reminder ladder on the real Durable Task engine (Azurite) with a fast workflow clock, Twilio played by the
/// loopback server that checks its request shapes and signs callbacks like Twilio. Demo policy: SMS after 30 working minutes,
/// a call after 1 working hour (line-manager level); mgr-wong is in Causeway Bay, +85291230004, Cantonese.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ReminderLadderDurableTests(AzuriteFixture azurite)
{
    private const string WongPhone = "+85291230004";

    private static ReimburseApp NewApp(AzuriteFixture azurite, FakeTwilio twilio, double speed)
    {
        var settings = WorkflowTestKit.AppSettings(speed);
        foreach (var (k, v) in twilio.Settings())
        {
            settings[k] = v;
        }
        return new ReimburseApp(azurite, settings, WorkflowTestKit.UseRecordingChannel);
    }

    private static async Task<List<TwilioRequest>> WaitForAsync(FakeTwilio twilio, Func<List<TwilioRequest>, bool> done, CancellationToken ct)
    {
        while (true)
        {
            var seen = twilio.Accepted.ToList();
            if (done(seen))
            {
                return seen;
            }
            if (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Twilio saw {seen.Count} requests: {string.Join("; ", seen.Select(r => r.Kind + " " + r.Form["To"]))}; violations: {string.Join("; ", twilio.Violations)}");
            }
            await Task.Delay(50, CancellationToken.None);
        }
    }

    private static async Task<HttpResponseMessage> CallbackAsync(HttpClient anonymous, string url, Dictionary<string, string> form, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(url).PathAndQuery) { Content = new FormUrlEncodedContent(form) };
        if (signature is not null)
        {
            request.Headers.Add("X-Twilio-Signature", signature);
        }
        return await anonymous.SendAsync(request);
    }

    [Fact]
    public async Task Ladder_ApproverLeftAlone_ChatThenSmsThenCall_EachOnceAndShownWithDeliveryState()
    {
        var ct = TestTimeout.Token();
        await using var twilio = await FakeTwilio.StartAsync();
        // 3600×: a working hour passes in one second.
        await using var app = NewApp(azurite, twilio, speed: 3600);
        var anonymous = await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 140m, cancellationToken: ct);

        var seen = await WaitForAsync(twilio, l => l.Any(r => r.Kind == "Calls" && r.Form["To"] == WongPhone), ct);
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id,
            w => w.GetProperty("ladder").EnumerateArray().Count(r => r.GetProperty("delivery").ValueKind == JsonValueKind.String) >= 2, ct);

        Assert.Empty(twilio.Violations);
        var toWong = seen.Where(r => r.Form["To"] == WongPhone).ToList();
        Assert.Equal(["Messages", "Calls"], toWong.Select(r => r.Kind));
        Assert.Contains(id, toWong[0].Form["Body"], StringComparison.Ordinal);
        Assert.Contains("/api/links/", toWong[0].Form["Body"], StringComparison.Ordinal);
        Assert.Contains("language=\"zh-HK\"", toWong[1].Form["Twiml"], StringComparison.Ordinal);
        var rungs = workflow.GetProperty("ladder").EnumerateArray().Where(r => r.GetProperty("state").GetString() == "due").ToList();
        Assert.Equal([("sms", "sent"), ("call", "sent")], rungs.Select(r => (r.GetProperty("channel").GetString(), r.GetProperty("delivery").GetString())));
        Assert.All(rungs, r => Assert.Equal("Asia/Hong_Kong", r.GetProperty("timeZone").GetString()));
        // The chat / e-mail request went first, through the notification channels.
        var sent = await RecordingNotificationChannel.ReadAllAsync(app.Storage.Tables, app.Prefix, ct);
        Assert.Contains(sent, n => n.PartitionKey == id && n.GetString("Template") == "approval-requested");
        // In the audit trail of the claim.
        var history = workflow.GetProperty("history").EnumerateArray().Where(h => h.GetProperty("action").GetString() == "step.rung").Select(h => h.GetProperty("detail").GetString()).ToList();
        Assert.Equal(["sms to mgr-wong: due", "call to mgr-wong: due"], history);

        // Twilio reports the SMS delivered (signed): recorded. A forged report is refused with a ProblemDetails 403.
        var statusUrl = toWong[0].Form["StatusCallback"];
        var report = new Dictionary<string, string> { ["MessageSid"] = toWong[0].Sid, ["MessageStatus"] = "delivered", ["AccountSid"] = FakeTwilio.AccountSid };
        var forged = await CallbackAsync(anonymous, statusUrl, report, FakeTwilio.Sign(statusUrl, report, authToken: "attacker-guess"));
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.Equal("application/problem+json", forged.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NoContent, (await CallbackAsync(anonymous, statusUrl, report, FakeTwilio.Sign(statusUrl, report))).StatusCode);
        var after = await WorkflowTestKit.WorkflowAsync(chan, id, ct);
        Assert.Contains(after.GetProperty("ladder").EnumerateArray(), r => r.GetProperty("channel").GetString() == "sms"
            && r.TryGetProperty("providerStatus", out var p) && p.GetString() == "delivered");

        // During the call mgr-wong presses 1: the link goes out by SMS once, however often Twilio repeats the callback.
        var gatherUrl = System.Xml.Linq.XDocument.Parse(toWong[1].Form["Twiml"]).Root!.Element("Gather")!.Attribute("action")!.Value;
        var press = new Dictionary<string, string> { ["CallSid"] = toWong[1].Sid, ["Digits"] = "1", ["AccountSid"] = FakeTwilio.AccountSid };
        var first = await CallbackAsync(anonymous, gatherUrl, press, FakeTwilio.Sign(gatherUrl, press));
        var again = await CallbackAsync(anonymous, gatherUrl, press, FakeTwilio.Sign(gatherUrl, press));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.StartsWith("<?xml", await first.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await CallbackAsync(anonymous, gatherUrl, press, null)).StatusCode);
        var links = twilio.Accepted.Where(r => r.Kind == "Messages" && r.Form["To"] == WongPhone).ToList();
        Assert.Equal(2, links.Count);
        Assert.Contains("/api/links/", links[1].Form["Body"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ladder_ApproverActsAfterTheSms_GetsNoCall()
    {
        var ct = TestTimeout.Token();
        await using var twilio = await FakeTwilio.StartAsync();
        // 720×: the SMS comes 2.5 s after the step starts, the call would come 2.5 s later.
        await using var app = NewApp(azurite, twilio, speed: 720);
        await app.StartAsync(ct);
        var chan = await app.ClientForAsync("emp-chan", ct);
        var id = await WorkflowTestKit.SubmitAsync(chan, 150m, cancellationToken: ct);

        await WaitForAsync(twilio, l => l.Any(r => r.Kind == "Messages" && r.Form["To"] == WongPhone), ct);
        var decided = await WorkflowTestKit.DecideAsync(await app.ClientForAsync("mgr-wong", ct), id, "approve", null, 1, 0, ct);
        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        // Past the call's due time (1 working hour = 5 s here) with room to spare.
        var workflow = await WorkflowTestKit.WaitForWorkflowAsync(chan, id, w => w.GetProperty("currentStep").ValueKind == JsonValueKind.Object
            && w.GetProperty("currentStep").GetProperty("index").GetInt32() == 1, ct);
        await Task.Delay(TimeSpan.FromSeconds(4), ct);

        Assert.Empty(twilio.Violations);
        Assert.DoesNotContain(twilio.Accepted, r => r.Kind == "Calls" && r.Form["To"] == WongPhone);
        Assert.Single(twilio.Accepted, r => r.Kind == "Messages" && r.Form["To"] == WongPhone);
        Assert.DoesNotContain((await WorkflowTestKit.WorkflowAsync(chan, id, ct)).GetProperty("ladder").EnumerateArray(),
            r => r.GetProperty("userId").GetString() == "mgr-wong" && r.GetProperty("channel").GetString() == "call");
        _ = workflow;
    }

    [Fact]
    public async Task Workflow_ShenzhenClaimantAndHongKongApprover_EachSeesTheirOwnZone()
    {
        var ct = TestTimeout.Token();
        await using var twilio = await FakeTwilio.StartAsync();
        await using var app = NewApp(azurite, twilio, speed: 1);
        await app.StartAsync(ct);
        // emp-lee works in Shenzhen; the travel desk (any of mgr-lau in Shenzhen, duty-ng in Causeway Bay) comes later.
        var lee = await app.ClientForAsync("emp-lee", ct);
        var id = await WorkflowTestKit.SubmitAsync(lee, 150m, cancellationToken: ct);
        var seenByClaimant = await WorkflowTestKit.WaitForWorkflowAsync(lee, id, w => w.Status() == "pending", ct);

        var seenByApprover = await WorkflowTestKit.WorkflowAsync(await app.ClientForAsync("fin-lam", ct), id, ct);

        Assert.Equal("Asia/Shanghai", seenByClaimant.GetProperty("viewerTimeZone").GetString());
        Assert.Equal("Asia/Hong_Kong", seenByApprover.GetProperty("viewerTimeZone").GetString());
        // mgr-lau (Shenzhen) is the line manager: the ladder's rungs carry the zone they are counted in.
        Assert.All(seenByClaimant.GetProperty("ladder").EnumerateArray(), r => Assert.Equal("Asia/Shanghai", r.GetProperty("timeZone").GetString()));
        Assert.NotEmpty(seenByClaimant.GetProperty("ladder").EnumerateArray());
    }

    [Fact]
    public async Task PutOfficeCalendar_AdminValidFile_StoredAndBadFileOrNonAdminRefused()
    {
        var ct = TestTimeout.Token();
        await using var twilio = await FakeTwilio.StartAsync();
        await using var app = NewApp(azurite, twilio, speed: 1);
        await app.StartAsync(ct);
        var admin = await app.ClientForAsync("admin", ct);
        const string good = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:sg-1\r\nDTSTAMP:20261201T000000Z\r\n"
            + "DTSTART;VALUE=DATE:20270101\r\nDTEND;VALUE=DATE:20270102\r\nSUMMARY:New Year's Day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        var timed = good.Replace("DTSTART;VALUE=DATE:20270101", "DTSTART:20270101T090000Z", StringComparison.Ordinal).Replace("DTEND;VALUE=DATE:20270102", "DTEND:20270101T100000Z", StringComparison.Ordinal);

        var stored = await admin.PutAsync("/api/admin/calendars/singapore.ics", new StringContent(good, System.Text.Encoding.UTF8, "text/calendar"), ct);
        var bad = await admin.PutAsync("/api/admin/calendars/singapore.ics", new StringContent(timed, System.Text.Encoding.UTF8, "text/calendar"), ct);
        var notAdmin = await (await app.ClientForAsync("fin-lam", ct)).PutAsync("/api/admin/calendars/x.ics", new StringContent(good, System.Text.Encoding.UTF8, "text/calendar"), ct);
        var badName = await admin.PutAsync("/api/admin/calendars/policy.yaml", new StringContent(good, System.Text.Encoding.UTF8, "text/calendar"), ct);

        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal(["2027-01-01"], (await stored.JsonAsync(ct)).GetProperty("holidays").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (bad.StatusCode, bad.Content.Headers.ContentType?.MediaType));
        Assert.Contains("New Year", await bad.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        // The bad upload changed nothing: the stored file is still the good one.
        var blob = await app.Storage.Config.GetBlobClient("harbour/calendars/singapore.ics").DownloadContentAsync(ct);
        Assert.Equal(good, blob.Value.Content.ToString());
    }
}
