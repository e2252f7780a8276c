using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Notifications;
using Reimburse.Functions.Security;

namespace Reimburse.Functions.Approvals;

/// <summary>Body of PUT /api/me/reach: false turns the channel off for the caller (the chat / e-mail request always goes).</summary>
public sealed record ReachPreferences(bool? Sms, bool? Calls);

/// <summary>The ladder's HTTP side: an approver's SMS / call opt-outs, and Twilio's callbacks (delivery status, keypress),
/// which are accepted only with a valid X-Twilio-Signature.</summary>
public static class ReachEndpoints
{
    public static void MapReachEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me/reach").RequireAuthorization();
        me.MapGet("/", GetPreferences).WithName("GetReachPreferences");
        me.MapPut("/", SetPreferences).WithName("SetReachPreferences");
        var twilio = app.MapGroup("/api/twilio").AllowAnonymous().DisableAntiforgery();
        twilio.MapPost("/status", Status).WithName("TwilioStatus");
        twilio.MapPost("/keypress", Keypress).WithName("TwilioKeypress");
        app.MapPut("/api/admin/calendars/{name}", PutCalendar).RequireAuthorization().DisableAntiforgery().WithName("PutOfficeCalendar");
    }

    /// <summary>PUT /api/admin/calendars/{name}.ics (admin, body text/calendar, at most 256 KiB): stores an office calendar
    /// after checking it (every all-day event read, make-up days with CATEGORIES:WORKDAY); a policy office names it with
    /// <c>calendar: {name}</c>. Replaces a shipped calendar of the same name. Recorded in the access log.</summary>
    public static async Task<IResult> PutCalendar(string name, HttpContext http, AccessGuard guard, PolicyProvider policies,
        Reimburse.Functions.Company.CompanyProvider companies, ReimburseStorage storage, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.PolicyManage, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only administrators manage office calendars.");
        }
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9][a-z0-9-]{0,62}\\.ics$"))
        {
            return Problems.ValidationFailed(new Dictionary<string, string[]> { ["name"] = ["The name must be lower-case letters, digits and hyphens ending in .ics (e.g. singapore.ics)."] });
        }
        using var reader = new StreamReader(http.Request.Body);
        var buffer = new char[256 * 1024 + 1];
        var length = await reader.ReadBlockAsync(buffer, cancellationToken);
        if (length > 256 * 1024)
        {
            return Problems.Problem(413, Problems.TooLarge, "Calendar too large", "An office calendar is at most 256 KiB.");
        }
        var text = new string(buffer, 0, length);
        var days = OfficeCalendars.Parse(text);
        if (days.Errors.Count > 0 || days.Holidays.Count + days.MakeUpWorkingDays.Count == 0)
        {
            return Problems.ValidationFailed(new Dictionary<string, string[]>
            {
                ["calendar"] = days.Errors.Count > 0 ? [.. days.Errors] : ["The calendar has no all-day events."],
            });
        }
        await storage.Config.GetBlobClient(PolicyProvider.CalendarBlob(companies.CompanyId, name))
            .UploadAsync(BinaryData.FromString(text), overwrite: true, cancellationToken);
        policies.Invalidate();
        await guard.RecordAsync(caller, AccessAction.PolicyManage, AccessTarget.None, new Dictionary<string, object?>
        {
            ["op"] = "calendar-uploaded", ["name"] = name, ["holidays"] = days.Holidays.Count, ["makeUpWorkingDays"] = days.MakeUpWorkingDays.Count,
        }, cancellationToken);
        return TypedResults.Ok(new
        {
            name,
            holidays = days.Holidays.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            makeUpWorkingDays = days.MakeUpWorkingDays.Select(d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
        });
    }

    public static async Task<IResult> GetPreferences(HttpContext http, ReachDelivery reach, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var (smsOff, callsOff) = (await reach.OptOutsAsync(cancellationToken)).GetValueOrDefault(caller.Id);
        return TypedResults.Ok(new { sms = !smsOff, calls = !callsOff, phone = caller.User?.Phone, language = caller.User?.Language });
    }

    public static async Task<IResult> SetPreferences(HttpContext http, ReachDelivery reach, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.DelegationManage, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "Only approvers and finance officers get SMS and call reminders.");
        }
        var (body, problem) = await ApprovalEndpoints.ReadBodyAsync<ReachPreferences>(http, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new Dictionary<string, string[]>();
        if (body!.Sms is null)
        {
            errors["sms"] = ["sms is required: true to get SMS reminders, false to turn them off."];
        }
        if (body.Calls is null)
        {
            errors["calls"] = ["calls is required: true to get call reminders, false to turn them off."];
        }
        if (errors.Count > 0)
        {
            return Problems.ValidationFailed(errors);
        }
        await reach.SetOptOutAsync(caller.Id, smsOff: !body.Sms!.Value, callsOff: !body.Calls!.Value, cancellationToken);
        // Recorded in the access log: who turned which reminders off, and when.
        await guard.RecordAsync(caller, AccessAction.DelegationManage, AccessTarget.None, new Dictionary<string, object?>
        {
            ["op"] = "reach-preferences", ["sms"] = body.Sms.Value ? "on" : "off", ["calls"] = body.Calls.Value ? "on" : "off",
        }, cancellationToken);
        return TypedResults.Ok(new { sms = body.Sms.Value, calls = body.Calls.Value });
    }

    /// <summary>Twilio's status callback for an SMS (MessageStatus) or a call (CallStatus).</summary>
    public static async Task<IResult> Status(HttpContext http, ReachDelivery reach, TwilioGateway twilio, string? c, string? k, CancellationToken cancellationToken)
    {
        if (await VerifiedFormAsync(http, twilio, reach, "status", cancellationToken) is not { } form)
        {
            return Refused();
        }
        if (string.IsNullOrEmpty(c) || string.IsNullOrEmpty(k) || !k.StartsWith(ReachDelivery.RowPrefix, StringComparison.Ordinal))
        {
            return Problems.Problem(400, Problems.Validation, "Bad callback", "The callback address names no ladder rung.");
        }
        var status = form.GetValueOrDefault("MessageStatus") ?? form.GetValueOrDefault("CallStatus");
        if (string.IsNullOrEmpty(status))
        {
            return Problems.Problem(400, Problems.Validation, "Bad callback", "MessageStatus or CallStatus is required.");
        }
        // The keypress SMS reports on "{row}-link": its state belongs to the call's row.
        var row = k.EndsWith("-link", StringComparison.Ordinal) ? k[..^"-link".Length] : k;
        var property = row == k ? status : "link " + status;
        return await reach.RecordStatusAsync(c, row, property, form.GetValueOrDefault("ErrorCode"), cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFoundResult("ladder rung");
    }

    /// <summary>The approver pressed a key during the call (the TwiML's Gather): 1 sends the approval link by SMS.</summary>
    public static async Task<IResult> Keypress(HttpContext http, ReachDelivery reach, TwilioGateway twilio, string? c, string? k, CancellationToken cancellationToken)
    {
        if (await VerifiedFormAsync(http, twilio, reach, "keypress", cancellationToken) is not { } form)
        {
            return Refused();
        }
        if (string.IsNullOrEmpty(c) || string.IsNullOrEmpty(k) || !k.StartsWith(ReachDelivery.RowPrefix, StringComparison.Ordinal))
        {
            return Problems.Problem(400, Problems.Validation, "Bad callback", "The callback address names no ladder rung.");
        }
        var zh = form.GetValueOrDefault("Language") == "zh-HK";
        var sent = form.GetValueOrDefault("Digits") == "1" && await reach.SendLinkAfterKeypressAsync(c, k, cancellationToken);
        var twiml = new Twilio.TwiML.VoiceResponse().Say(sent ? "The link is on its way by text message. Goodbye." : "Goodbye.");
        return Results.Content(twiml.ToString(System.Xml.Linq.SaveOptions.DisableFormatting), "application/xml; charset=utf-8");
    }

    /// <summary>The POSTed form when X-Twilio-Signature matches the callback URL Twilio was given and the fields; else null.</summary>
    private static async Task<Dictionary<string, string>?> VerifiedFormAsync(HttpContext http, TwilioGateway twilio, ReachDelivery reach, string kind, CancellationToken cancellationToken)
    {
        if (!twilio.Enabled || !http.Request.HasFormContentType)
        {
            return null;
        }
        var form = await http.Request.ReadFormAsync(cancellationToken);
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var c = http.Request.Query["c"].ToString();
        var k = http.Request.Query["k"].ToString();
        var url = reach.CallbackUrl(kind, c, k).AbsoluteUri;
        return twilio.IsValidSignature(url, fields, http.Request.Headers["X-Twilio-Signature"].ToString()) ? fields : null;
    }

    private static IResult Refused() =>
        Problems.Problem(403, Problems.Forbidden, "Signature refused", "The request does not carry a valid X-Twilio-Signature for this address.");
}

/// <summary>Functions entries of the ladder's HTTP side (see <see cref="ReachEndpoints"/>).</summary>
public sealed class ReachFunctions(ApiPipeline api)
{
    [Function("GetReachPreferences")]
    public Task<IResult> GetReachPreferences([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/reach")] HttpRequest req) =>
        api.RunAsync(req, "GetReachPreferences");

    [Function("SetReachPreferences")]
    public Task<IResult> SetReachPreferences([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "me/reach")] HttpRequest req) =>
        api.RunAsync(req, "SetReachPreferences");

    [Function("TwilioStatus")]
    public Task<IResult> TwilioStatus([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "twilio/status")] HttpRequest req) =>
        api.RunAsync(req, "TwilioStatus");

    [Function("PutOfficeCalendar")]
    public Task<IResult> PutOfficeCalendar([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "admin/calendars/{name}")] HttpRequest req, string name) =>
        api.RunAsync(req, "PutOfficeCalendar", ("name", name));

    [Function("TwilioKeypress")]
    public Task<IResult> TwilioKeypress([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "twilio/keypress")] HttpRequest req) =>
        api.RunAsync(req, "TwilioKeypress");
}
