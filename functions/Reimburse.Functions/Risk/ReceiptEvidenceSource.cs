using Reimburse.Core.Claims;
using Reimburse.Core.Risk;

namespace Reimburse.Functions.Risk;

/// <summary>The receipts of a claim as evidence for scoring: content hash always, plus what OCR read when available.</summary>
public sealed class ReceiptEvidenceSource(IEnumerable<IReceiptEvidenceProvider> providers)
{
    public async Task<IReadOnlyList<ReceiptEvidence>> ForAsync(Claim claim, CancellationToken cancellationToken)
    {
        var provider = providers.FirstOrDefault();
        var list = new List<ReceiptEvidence>();
        foreach (var r in claim.Receipts)
        {
            list.Add(provider is null ? new ReceiptEvidence(r.Sha256) : await provider.EvidenceAsync(r, cancellationToken));
        }
        return list;
    }
}

/// <summary>Turns a stored receipt into evidence (the OCR feature provides one that adds what was read).</summary>
public interface IReceiptEvidenceProvider
{
    Task<ReceiptEvidence> EvidenceAsync(ReceiptRef receipt, CancellationToken cancellationToken = default);
}
