using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
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

/// <summary>POST /api/claims — JSON, multipart with a "claim" JSON part and up to 10 receipt files, or a plain form
/// (<see cref="ClaimForm"/>).</summary>
public static class SubmitClaim
{
    public const long MaxRequestBytes = ReceiptFiles.MaxFilesPerClaim * (ReceiptFiles.MaxBytes + 64 * 1024) + 256 * 1024;
    private const int MaxIdempotencyKeyLength = 200;

    /// <summary>A receipt file from the request, checked and ready to store.</summary>
    private sealed record IncomingReceipt(byte[] Content, ReceiptFileType Type, string FileName);

    public static RouteHandlerBuilder MapSubmitClaim(this RouteGroupBuilder group) =>
        group.MapPost("/", Handle)
            .WithName("SubmitClaim")
            .RequireRateLimiting(WriteRateLimiting.PolicyName)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxRequestBytes))
            .Accepts<JsonElement>("application/json", "multipart/form-data", "application/x-www-form-urlencoded")
            .AddEndpointFilter(ClaimForm.GuardAsync)
            .AddEndpointFilter(ClaimForm.HtmlAsync);

    public static async Task<IResult> Handle(
        HttpContext http,
        ClaimStore claims,
        ClaimIndex index,
        ReceiptStore receiptStore,
        CompanyProvider companies,
        [FromServices] DurableTaskClient durable,
        WorkflowClock workflowClock,
        TimeProvider clock,
        AccessGuard guard,
        IOptions<IdentityOptions> identity,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http, identity);
        if (!(await guard.CheckAsync(caller, AccessAction.ClaimCreate, AccessTarget.None, cancellationToken)).Allowed)
        {
            return Problems.Problem(403, Problems.Forbidden, "Forbidden", "Your role cannot submit expense claims.");
        }
        var company = await companies.GetAsync(cancellationToken);

        var idempotencyKey = http.Request.Headers["Idempotency-Key"].ToString();
        if (idempotencyKey.Length > MaxIdempotencyKeyLength || idempotencyKey.Any(c => c is < ' ' or > '~'))
        {
            return Problems.Problem(400, Problems.MalformedRequest, "Bad Idempotency-Key", $"Idempotency-Key must be printable ASCII, at most {MaxIdempotencyKeyLength} characters.", "Idempotency-Key");
        }

        var (parsed, problem) = await ReadAsync(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var (fieldsIn, incoming, errors) = parsed!.Value;
        var fields = ClaimRules.Normalize(fieldsIn, company);
        var today = CompanyProvider.LocalToday(company, clock.GetUtcNow());
        ClaimRequest.Merge(errors, ClaimRules.Validate(fields, company, today));
        if (errors.Count > 0)
        {
            return Problems.ValidationFailed(ClaimRequest.Freeze(errors));
        }

        var fingerprint = ClaimRequest.Fingerprint(fields, incoming.Select(r => ReceiptStore.Sha256Hex(r.Content)));
        var now = clock.GetUtcNow();
        var claimId = idempotencyKey.Length > 0 ? ClaimIds.FromKey(company.Id, caller.Id, "api", idempotencyKey) : ClaimIds.New(now);
        if (idempotencyKey.Length > 0 && await claims.GetAsync(claimId, cancellationToken) is { } existing)
        {
            if (existing.Claim.Status == ClaimStatus.Submitted)
            {
                // The first attempt may have died before its orchestration was scheduled; starting it again finds it if not.
                await ClaimOrchestration.StartAsync(durable, claimId, workflowClock.Anchor, cancellationToken);
            }
            return Replay(http, existing, fingerprint);
        }

        var receipts = await Task.WhenAll(incoming.Select(r => receiptStore.PutAsync(r.Content, r.Type, r.FileName, cancellationToken)));
        var claim = new Claim(claimId, company.Id, caller.Id, caller.User.Department, caller.Id, ClaimSource.Api, ClaimStatus.Submitted,
            fields, receipts.DistinctBy(r => r.Id).ToList(), now, now, now);

        // The orchestration (instance id = claim id) and the owner-index row first, then the claim: if we die in between, the
        // orchestration finds no claim and ends, the list skips the dangling index row, and the client never saw a 202. The
        // other order could leave an accepted claim that nothing processes or lists. The two first writes are independent.
        await Task.WhenAll(
            ClaimOrchestration.StartAsync(durable, claimId, workflowClock.Anchor, cancellationToken),
            index.UpsertAsync(claim, cancellationToken));
        try
        {
            await claims.CreateAsync(claim, fingerprint, new AuditDraft("claim.submitted", caller.Id, caller.PrimaryRole, caller.SourceIp,
                JsonSerializer.Serialize(new { source = "api", amount = fields.Money?.ToString(), category = fields.Category, receipts = receipts.Length })), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 409 && idempotencyKey.Length > 0)
        {
            // A concurrent retry with the same key won the race.
            var winner = await claims.GetAsync(claimId, cancellationToken);
            if (winner is null)
            {
                throw;
            }
            return Replay(http, winner, fingerprint);
        }
        ReimburseTelemetry.ClaimSubmitted(claim.Id, "api");
        return Accepted(claim);
    }

    private static IResult Replay(HttpContext http, StoredClaim existing, string fingerprint)
    {
        if (existing.RequestHash is not null && existing.RequestHash != fingerprint)
        {
            return Problems.Problem(422, Problems.IdempotencyMismatch, "Idempotency-Key reused",
                "This Idempotency-Key was already used for a different claim. Use a new key for a new claim.", "Idempotency-Key");
        }
        http.Response.Headers["Idempotent-Replayed"] = "true";
        return Accepted(existing.Claim);
    }

    private static Accepted<ClaimAccepted> Accepted(Claim claim) =>
        TypedResults.Accepted($"/api/claims/{claim.Id}", new ClaimAccepted(claim.Id, claim.Status.ToString(), $"/api/claims/{claim.Id}"));

    private static async Task<((ClaimFields, List<IncomingReceipt>, Dictionary<string, List<string>>)? Parsed, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.HasJsonContentType())
        {
            var (doc, problem) = await ReadJsonAsync(request.Body, cancellationToken);
            if (doc is null) return (null, problem);
            using (doc)
            {
                var (f, e) = ClaimRequest.Parse(doc.RootElement);
                return ((f, [], e), null);
            }
        }
        if (!ClaimForm.IsForm(request))
        {
            return (null, Problems.Problem(415, Problems.MalformedRequest, "Unsupported content type", "Send application/json, multipart/form-data (a 'claim' JSON part or plain fields, and receipt files) or application/x-www-form-urlencoded."));
        }
        return await ReadMultipartAsync(request, cancellationToken);
    }

    // Strict: well-formed, no duplicate properties, every string valid Unicode text (StrictText, docs/security-input.md).
    private static Task<(JsonDocument? Doc, IResult? Problem)> ReadJsonAsync(Stream body, CancellationToken cancellationToken) =>
        StrictText.ReadJsonAsync(body, cancellationToken);

    private static async Task<((ClaimFields, List<IncomingReceipt>, Dictionary<string, List<string>>)? Parsed, IResult? Problem)> ReadMultipartAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new FormOptions
            {
                MultipartBodyLengthLimit = SubmitClaim.MaxRequestBytes,
                ValueLengthLimit = 64 * 1024,
                ValueCountLimit = 20,
                MultipartHeadersLengthLimit = 16 * 1024,
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            return (null, Problems.Problem(400, Problems.MalformedRequest, "Malformed multipart body", ex.Message, "receipts"));
        }

        // Field names, values and file names must be valid text: the form reader decodes leniently (U+FFFD).
        if (StrictText.CheckForm(form) is { Count: > 0 } textErrors)
        {
            return (null, Problems.Problem(400, Problems.MalformedRequest, "Invalid text", textErrors.First().Value[0], textErrors.First().Key));
        }
        JsonDocument? doc = null;
        IResult? problem = null;
        var claimFile = form.Files.GetFile("claim");
        if (form.TryGetValue("claim", out var claimText))
        {
            using var ms = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(claimText.ToString()));
            (doc, problem) = await ReadJsonAsync(ms, cancellationToken);
        }
        else if (claimFile is not null)
        {
            await using var s = claimFile.OpenReadStream();
            (doc, problem) = await ReadJsonAsync(s, cancellationToken);
        }

        ClaimFields fields;
        Dictionary<string, List<string>> errors;
        if (claimFile is null && !form.ContainsKey("claim"))
        {
            // A plain HTML form: its fields, read into the same claim fields and validation as JSON.
            (fields, errors) = ClaimForm.Parse(form);
        }
        else
        {
            if (doc is null) return (null, problem);
            using (doc)
            {
                (fields, errors) = ClaimRequest.Parse(doc.RootElement);
            }
        }

        var files = form.Files.Where(f => f.Name != "claim").ToList();
        if (files.Count > ReceiptFiles.MaxFilesPerClaim)
        {
            return (null, Problems.Problem(400, Problems.Validation, "Too many receipts", $"At most {ReceiptFiles.MaxFilesPerClaim} receipt files per claim (got {files.Count}).", "receipts"));
        }
        var receipts = new List<IncomingReceipt>();
        var unsupported = false;
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var field = $"receipts[{i}]";
            if (file.Length > ReceiptFiles.MaxBytes)
            {
                return (null, Problems.Problem(413, Problems.TooLarge, "Receipt too large", $"'{ReceiptStore.SafeFileName(file.FileName, ReceiptFileType.Pdf)}' is over {ReceiptFiles.MaxBytes / (1024 * 1024)} MB.", field));
            }
            var bytes = new byte[file.Length];
            await using (var s = file.OpenReadStream())
            {
                await s.ReadExactlyAsync(bytes, cancellationToken);
            }
            var (type, fileProblem) = ReceiptFiles.Inspect(bytes, file.FileName, file.ContentType);
            if (type is null)
            {
                unsupported |= fileProblem!.Code is "unsupported-type" or "type-mismatch";
                (errors.TryGetValue(field, out var l) ? l : errors[field] = []).Add($"{ReceiptStore.SafeFileName(file.FileName, ReceiptFileType.Pdf)}: {fileProblem.Message}");
                continue;
            }
            receipts.Add(new IncomingReceipt(bytes, type.Value, file.FileName));
        }
        if (unsupported)
        {
            var pd = new HttpValidationProblemDetails(ClaimRequest.Freeze(errors).ToDictionary(kv => kv.Key, kv => kv.Value))
            {
                Status = 415, Type = Problems.UnsupportedReceipt, Title = "Unsupported receipt file", Detail = "Receipts must be JPEG, PNG or PDF files whose content matches their name.",
            };
            return (null, TypedResults.Problem(pd));
        }
        return ((fields, receipts, errors), null);
    }
}
