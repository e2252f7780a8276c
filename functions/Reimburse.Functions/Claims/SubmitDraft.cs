using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using Reimburse.Core.Audit;
using Reimburse.Core.Claims;
using Reimburse.Functions.Approvals;
using Reimburse.Functions.Company;
using Reimburse.Functions.Hosting;
using Reimburse.Functions.Identity;
using Reimburse.Functions.Security;
using Reimburse.Functions.Triggers;

namespace Reimburse.Functions.Claims;

/// <summary>POST /api/claims/{id}/submit — the owner submits a draft (from a dropped receipt), optionally filling fields.</summary>
public static class SubmitDraft
{
    public static RouteHandlerBuilder MapSubmitDraft(this RouteGroupBuilder group) =>
        group.MapPost("/{id}/submit", Handle).WithName("SubmitDraft").RequireRateLimiting(WriteRateLimiting.PolicyName);

    public static async Task<IResult> Handle(string id, HttpContext http, ClaimStore claims, ClaimIndex index, CompanyProvider companies,
        [FromServices] DurableTaskClient durable, WorkflowClock workflowClock, TimeProvider clock, AccessGuard guard, IOptions<IdentityOptions> identity, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        var company = await companies.GetAsync(cancellationToken);
        var stored = await claims.GetAsync(id, cancellationToken);
        if (stored is null)
        {
            await guard.DenyAsync(caller, AccessAction.ClaimSubmitDraft, AccessTarget.None, "no such claim", cancellationToken, objectId: id);
            return Problems.NotFoundResult("claim");
        }
        var target = AccessTarget.For(stored.Claim);
        if (!(await guard.CheckAsync(caller, AccessAction.ClaimSubmitDraft, target, cancellationToken)).Allowed)
        {
            // Someone who may see the claim learns why; anyone else must not learn that it exists.
            return (await guard.DecideAsync(caller.User, AccessAction.ClaimRead, target, cancellationToken)).Allowed
                ? Problems.Problem(403, Problems.Forbidden, "Not your claim", "Only the claimant can submit a claim.")
                : Problems.NotFoundResult("claim");
        }

        var update = ClaimFields.Empty;
        if (http.Request.ContentLength is > 0 || http.Request.HasJsonContentType())
        {
            if (!http.Request.HasJsonContentType())
            {
                return Problems.Problem(415, Problems.MalformedRequest, "Unsupported content type", "Send the fields to fill as application/json, or no body.");
            }
            var (doc, problem) = await StrictText.ReadJsonAsync(http.Request.Body, cancellationToken);
            if (doc is null)
            {
                return problem!;
            }
            using (doc)
            {
                var (f, errors) = ClaimRequest.Parse(doc.RootElement);
                if (errors.Count > 0)
                {
                    return Problems.ValidationFailed(ClaimRequest.Freeze(errors));
                }
                update = f;
            }
        }

        var now = clock.GetUtcNow();
        var completed = ClaimRules.Normalize(new ClaimFields(
            update.Category ?? stored.Claim.Fields.Category,
            update.Amount ?? stored.Claim.Fields.Amount,
            update.Currency ?? stored.Claim.Fields.Currency,
            update.ExpenseDate ?? stored.Claim.Fields.ExpenseDate,
            update.Merchant ?? stored.Claim.Fields.Merchant,
            update.Description ?? stored.Claim.Fields.Description,
            update.Project ?? stored.Claim.Fields.Project,
            update.CostCentre ?? stored.Claim.Fields.CostCentre), company);
        var validation = ClaimRules.Validate(completed, company, CompanyProvider.LocalToday(company, now));
        if (validation.Count > 0)
        {
            return Problems.ValidationFailed(validation, "The draft is not complete. Send the missing fields in the body.");
        }
        if (stored.Claim.Status == ClaimStatus.Submitted && WorkflowRows.ReadState(stored).Status == Reimburse.Core.Approvals.WorkflowStatus.Returned
            && stored.Claim.UpdatedAt < now - ApprovalCommands.RetryTakeover)
        {
            // A resubmission whose process died after it changed the claim and before it told the orchestration, retried by
            // the claimant: tell it now and answer as the first time (a double click, sooner, is still a 409).
            await ApprovalCommands.ResubmittedAsync(durable, id, cancellationToken);
            return TypedResults.Accepted($"/api/claims/{id}", new ClaimAccepted(id, stored.Claim.Status.ToString(), $"/api/claims/{id}"));
        }
        if (stored.Claim.Status is not (ClaimStatus.Draft or ClaimStatus.Returned))
        {
            return Problems.Problem(409, Problems.Conflict, "Already submitted", $"The claim is {stored.Claim.Status}.");
        }

        // Which values the claimant changed from what the receipt filled in: the "touchless" KPI counts claims with none.
        var before = stored.Claim.Fields;
        var edited = new List<string>();
        if (before.Amount is not null && update.Amount is not null && update.Amount != before.Amount) edited.Add("amount");
        if (before.ExpenseDate is not null && update.ExpenseDate is not null && update.ExpenseDate != before.ExpenseDate) edited.Add("expenseDate");
        if (before.Merchant is not null && update.Merchant is not null && update.Merchant != before.Merchant) edited.Add("merchant");
        if (before.Category is not null && update.Category is not null && update.Category != before.Category) edited.Add("category");
        if (before.Currency is not null && update.Currency is not null && update.Currency != before.Currency) edited.Add("currency");

        var returned = stored.Claim.Status == ClaimStatus.Returned;
        if (!returned)
        {
            // A draft's orchestration starts before the claim is submitted (it waits for the Submitted row, like intake).
            await ClaimOrchestration.StartAsync(durable, id, workflowClock.Anchor, cancellationToken);
        }
        var (result, error) = await claims.ChangeAsync(id, current =>
        {
            var (next, err) = ClaimLifecycle.Submit(current.Claim, completed, now);
            return next is null ? (null, err) : (new ClaimChange(next, new AuditDraft("claim.submitted", caller.Id, caller.PrimaryRole, caller.SourceIp,
                JsonSerializer.Serialize(new { source = current.Claim.Source.ToString().ToLowerInvariant(), amount = completed.Money?.ToString(), category = completed.Category, edited }))), null);
        }, cancellationToken);
        if (result is null || error is not null)
        {
            return Problems.Problem(409, Problems.Conflict, "Cannot submit", error?.Message ?? "The claim changed meanwhile.");
        }
        await index.UpsertAsync(result.Claim, cancellationToken);
        ReimburseTelemetry.ClaimSubmitted(id, returned ? "resubmit" : "draft");
        if (returned)
        {
            // The claim's orchestration waits for the claimant: intake runs again, then a new approval round.
            await ApprovalCommands.ResubmittedAsync(durable, id, cancellationToken);
        }
        return TypedResults.Accepted($"/api/claims/{id}", new ClaimAccepted(id, result.Claim.Status.ToString(), $"/api/claims/{id}"));
    }
}
