using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Reimburse.Core.Approvals;
using Reimburse.Functions.Claims;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Azure.Data.Tables;

namespace Reimburse.Functions.Approvals;

/// <summary>Body of POST /api/claims/{id}/decisions. Round and step (optional) pin the step the approver saw. ReasonCode
/// (one of GET /api/reason-codes) is required to reject or return and refused with approve.</summary>
public sealed record DecisionRequest(string? Decision, string? Comment, int? Round = null, int? Step = null, string? ReasonCode = null);

/// <summary>Body of POST /api/claims/{id}/withdraw.</summary>
public sealed record WithdrawRequest(string? Reason);

/// <summary>Answer to an accepted decision or withdrawal.</summary>
public sealed record WorkflowAccepted(string Id, string Status, int WorkflowVersion, string WorkflowUrl);

/// <summary>One line of GET /api/approvals.</summary>
public sealed record PendingApproval(string ClaimId, string ClaimantId, decimal Amount, string Currency, string? Category, string? Merchant,
    int Round, int Step, string StepName, string? OnBehalfOf, bool ViaEscalation, DateTimeOffset? WaitingSince, string WorkflowUrl);

/// <summary>The workflow HTTP API: decisions, withdrawal, status, the caller's pending approvals, one-click links.</summary>
public static class ApprovalEndpoints
{
    private const string ProblemBase = "https://reimburse.example/problems/";
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public static void MapApprovalEndpoints(this IEndpointRouteBuilder app)
    {
        var claims = app.MapGroup("/api/claims").RequireAuthorization();
        claims.MapPost("/{id}/decisions", Decide).WithName("DecideClaim");
        claims.MapPost("/{id}/withdraw", Withdraw).WithName("WithdrawClaim");
        claims.MapGet("/{id}/workflow", Status).WithName("GetWorkflow");
        app.MapGet("/api/reason-codes", () => TypedResults.Ok(new { items = DecisionReasons.All })).RequireAuthorization().WithName("ListReasonCodes");
        app.MapGet("/api/approvals", ListPending).RequireAuthorization().WithName("ListApprovals");
        // The signed token is the credential: one click from a notification, no sign-in. GET shows a confirmation page and
        // changes nothing (link scanners); POST decides.
        app.MapMethods("/api/links/{token}", [HttpMethods.Get, HttpMethods.Post], ApprovalLinkPage.HandleAsync).AllowAnonymous().DisableAntiforgery().WithName("UseApprovalLink");
    }

    public static async Task<IResult> Decide(string id, HttpContext http, ApprovalCommands commands, [FromServices] DurableTaskClient client,
        IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var (request, problem) = await ReadBodyAsync<DecisionRequest>(http, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new Dictionary<string, string[]>();
        Decision decision = default;
        if (request!.Decision is not ("approve" or "reject" or "return"))
        {
            errors["decision"] = ["decision must be \"approve\", \"reject\" or \"return\"."];
        }
        else
        {
            decision = request.Decision switch { "approve" => Decision.Approve, "reject" => Decision.Reject, _ => Decision.Return };
        }
        if (request.Comment is { Length: > 2000 })
        {
            errors["comment"] = ["comment must be at most 2000 characters."];
        }
        if (decision != Decision.Approve && request.Decision is not null && string.IsNullOrWhiteSpace(request.Comment) && errors.Count == 0)
        {
            errors["comment"] = ["A comment for the claimant is required to reject or return a claim."];
        }
        if (errors.ContainsKey("decision"))
        {
            // Nothing to check the reason code against.
        }
        else if (decision == Decision.Approve && request.ReasonCode is not null)
        {
            errors["reasonCode"] = ["reasonCode is only for reject and return; leave it out to approve."];
        }
        else if (decision != Decision.Approve && DecisionReasons.Find(request.ReasonCode) is null)
        {
            errors["reasonCode"] = [request.ReasonCode is null
                ? $"A reasonCode is required to reject or return a claim, one of: {DecisionReasons.CodeList} (GET /api/reason-codes)."
                : $"Unknown reasonCode; use one of: {DecisionReasons.CodeList} (GET /api/reason-codes)."];
        }
        if (errors.Count > 0)
        {
            return Problems.ValidationFailed(errors, "Fix the fields listed in 'errors' and try again.");
        }
        var result = await commands.ApplyAsync(client, id, new DecisionMade(caller.Id, decision, request.Comment, request.Round, request.Step, request.ReasonCode),
            caller.PrimaryRole, caller.SourceIp, cancellationToken: cancellationToken);
        return Answer(id, result);
    }

    public static async Task<IResult> Withdraw(string id, HttpContext http, ClaimStore claims, CompanyProvider companies, ApprovalCommands commands,
        [FromServices] DurableTaskClient client, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        WithdrawRequest? request = new(null);
        if (http.Request.ContentLength is > 0 || http.Request.HasJsonContentType())
        {
            (request, var problem) = await ReadBodyAsync<WithdrawRequest>(http, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }
        }
        var stored = await claims.GetAsync(id, cancellationToken);
        if (stored is null || !ClaimAccess.CanRead(caller.User, stored.Claim, await companies.GetAsync(cancellationToken)))
        {
            return Problems.NotFoundResult("claim");
        }
        var result = await commands.ApplyAsync(client, id, new Withdrawn(caller.Id, request?.Reason), caller.PrimaryRole, caller.SourceIp, cancellationToken: cancellationToken);
        return Answer(id, result);
    }

    public static async Task<IResult> Status(string id, HttpContext http, ApprovalCommands commands, CompanyProvider companies, ReachDelivery reach,
        IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (await commands.ReadAsync(id, cancellationToken) is not var (stored, state, context, now))
        {
            return Problems.NotFoundResult("claim");
        }
        // Approvers of the route (including escalation targets and delegates waiting now) may look, besides the usual readers.
        var involved = state.Route?.Steps.Any(s => s.Slots.Any(sl => sl.Approvers.Contains(caller.Id) || sl.EscalationTiers.Any(t => t.Contains(caller.Id)))) == true
            || ApprovalWorkflow.IsWaitingOn(state, caller.Id, now, context);
        if (!involved && !ClaimAccess.CanRead(caller.User, stored.Claim, await companies.GetAsync(cancellationToken)))
        {
            return Problems.NotFoundResult("claim");
        }
        // Times are shown in the caller's office zone (a Shenzhen claimant and a Hong Kong approver each see their own).
        var view = ApprovalWorkflow.Status(state, now, context) with
        {
            ViewerTimeZone = context.OfficeOf(caller.Id)?.TimeZone ?? (await companies.GetAsync(cancellationToken)).TimeZone,
        };
        if (view.Ladder is { Count: > 0 } ladder && ladder.Any(r => r.Key is not null))
        {
            // The ladder's rungs with what the provider made of them (their delivery records in the claim's partition).
            var deliveries = (await reach.ListAsync(id, cancellationToken)).ToDictionary(d => d.Key, StringComparer.Ordinal);
            view = view with
            {
                Ladder = ladder.Select(r => r.Key is { } key && deliveries.TryGetValue(key, out var d)
                    ? r with { Delivery = d.State, ProviderStatus = d.ProviderStatus, Keypress = d.Keypress }
                    : r).ToList(),
            };
        }
        return Results.Json(view, ApprovalJson.Options);
    }

    public static async Task<IResult> ListPending(HttpContext http, ApprovalIndex index, ClaimStore claims, PolicyProvider policies, WorkflowClock workflowClock,
        IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var context = await policies.ContextAsync(cancellationToken);
        var now = workflowClock.GetUtcNow();
        var today = context.Calendar.LocalDate(now);
        // The caller's own rows plus those of everyone who delegated to the caller today.
        var owners = context.Delegations.Where(d => d.To == caller.Id && d.IsActiveOn(today)).Select(d => d.From).Prepend(caller.Id).Distinct().ToList();
        var rows = (await Task.WhenAll(owners.Select(o => index.ForUserAsync(o, cancellationToken)))).SelectMany(r => r).ToList();
        var items = new List<PendingApproval>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var loaded = await Task.WhenAll(rows.Select(async r => (Row: r, Claim: await claims.GetAsync(r.RowKey, cancellationToken))));
        var stale = new List<TableEntity>();
        foreach (var (row, stored) in loaded)
        {
            var state = stored is null ? null : WorkflowRows.ReadState(stored);
            var mine = state is null ? [] : ApprovalWorkflow.WaitingOn(state, now, context).Where(w => w.UserId == caller.Id).ToList();
            if (mine.Count == 0 || state?.CurrentStep is not { } step)
            {
                if (state is null || !ApprovalWorkflow.Principals(state).Contains(row.PartitionKey["user-".Length..]))
                {
                    stale.Add(row);
                }
                continue;
            }
            if (!seen.Add(stored!.Claim.Id))
            {
                continue;
            }
            var w = mine[0];
            items.Add(new PendingApproval(stored.Claim.Id, stored.Claim.OwnerId, stored.Claim.Fields.Amount ?? 0, stored.Claim.Fields.Currency ?? "HKD",
                stored.Claim.Fields.Category, stored.Claim.Fields.Merchant, state.Round, state.StepIndex, step.Name, w.OnBehalfOf, w.ViaEscalation,
                state.StepStartedAt, $"/api/claims/{stored.Claim.Id}/workflow"));
        }
        await Task.WhenAll(stale.Select(r => index.RemoveStaleAsync(r, cancellationToken)));
        return TypedResults.Ok(new { items = items.OrderBy(i => i.WaitingSince).ToList() });
    }

    internal static IResult Answer(string id, WorkflowCommandResult result)
    {
        if (result.NotFound)
        {
            return Problems.NotFoundResult("claim");
        }
        if (result.Error is { } e)
        {
            var status = e.HttpStatus;
            var type = ProblemBase + Kebab(e.Code.ToString());
            return Problems.Problem(status, type, status switch { 403 => "Not allowed", 400 => "Invalid decision", 404 => "Not in approval", _ => "Conflict" }, e.Message);
        }
        return TypedResults.Accepted($"/api/claims/{id}/workflow", new WorkflowAccepted(id, result.Status!, result.Version, $"/api/claims/{id}/workflow"));
    }

    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    internal static async Task<(T? Body, IResult? Problem)> ReadBodyAsync<T>(HttpContext http, CancellationToken cancellationToken) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, Problems.Problem(415, Problems.MalformedRequest, "Unsupported content type", "Send application/json."));
        }
        // Strict text, no duplicate properties (StrictText), then bound with web defaults as before.
        return await StrictText.ReadJsonAsync<T>(http.Request.Body, WebJson, cancellationToken);
    }
}
