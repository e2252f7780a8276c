namespace Reimburse.Core.Claims;

/// <summary>Lifecycle of a claim. Later stages (approval, posting) extend this list.</summary>
public enum ClaimStatus
{
    /// <summary>Created from a dropped receipt; the owner still has to submit it.</summary>
    Draft,
    /// <summary>Accepted over HTTP; waiting for the pipeline to pick it up.</summary>
    Submitted,
    /// <summary>The pipeline has taken it in (receipts read, scored, routed).</summary>
    Received,
    /// <summary>Waiting for approvers.</summary>
    PendingApproval,
    /// <summary>Sent back to the claimant for changes.</summary>
    Returned,
    Approved,
    Rejected,
    Withdrawn,
    /// <summary>Exported to accounting.</summary>
    Posted,
    /// <summary>The pipeline failed repeatedly; a person must look at it. Nothing is lost.</summary>
    NeedsAttention,
}

/// <summary>Where a claim came from.</summary>
public enum ClaimSource { Api, Inbox, Import }

/// <summary>A receipt attached to a claim. The file is stored once, named by its SHA-256.</summary>
public sealed record ReceiptRef(string Id, string Sha256, string ContentType, long Length, string FileName)
{
    /// <summary>Receipt id as used in URLs: the content hash (the same file is the same receipt).</summary>
    public static ReceiptRef Create(string sha256, string contentType, long length, string fileName) =>
        new(sha256, sha256, contentType, length, fileName);
}
