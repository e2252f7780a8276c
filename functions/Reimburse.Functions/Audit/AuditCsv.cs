using System.Globalization;
using System.Text;

namespace Reimburse.Functions.Audit;

/// <summary>RFC 4180 CSV for audit exports: every field quoted, CRLF between records, and two defences a spreadsheet needs —
/// a cell starting with = + - @ TAB or CR gets a leading apostrophe (no formula injection), and control characters are
/// written as visible \uXXXX escapes so one entry is always exactly one line (no log forging with CR/LF or ANSI codes).</summary>
public static class AuditCsv
{
    public static readonly string[] Header =
        ["at", "log", "chainId", "sequence", "action", "actorId", "actorRole", "sourceIp", "outcome", "claimId", "department", "details", "hash"];

    public static string Cell(string? value)
    {
        var v = value ?? "";
        if (v.Length > 0 && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            v = "'" + v;
        }
        var sb = new StringBuilder(v.Length + 2).Append('"');
        foreach (var ch in v)
        {
            if (ch == '"') sb.Append("\"\"");
            else if (char.IsControl(ch) || ch is '\u2028' or '\u2029') sb.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(ch);
        }
        return sb.Append('"').ToString();
    }

    public static string Line(IEnumerable<string?> cells) => string.Join(",", cells.Select(Cell)) + "\r\n";

    public static string Line(AuditRecordView r) => Line(
    [
        r.At.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture), r.Log, r.ChainId, r.Sequence.ToString(CultureInfo.InvariantCulture),
        r.Action, r.ActorId, r.ActorRole, r.SourceIp, r.Outcome, r.ClaimId, r.Department, r.Details, r.Hash,
    ]);
}
