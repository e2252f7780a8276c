using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;

namespace Reimburse.Storage;

/// <summary>Kind of one batch operation (Update* and Delete honour the action's ETag; Upsert* and Add do not).</summary>
public enum TableTransactionActionType { Add, UpdateMerge, UpdateReplace, UpsertMerge, UpsertReplace, Delete }

/// <summary>One operation of a batch; ETag is used for Update*/Delete (default = *).</summary>
public sealed record TableTransactionAction(TableTransactionActionType ActionType, TableEntity Entity, ETag ETag = default);

/// <summary>Per-operation result of a committed batch (new ETag for writes).</summary>
public sealed record TableTransactionResult(int Status, ETag ETag);

/// <summary>Thrown when a batch is rejected; nothing in it was applied.</summary>
public sealed class TableTransactionFailedException : RequestFailedException
{
    public TableTransactionFailedException(int status, string? errorCode, string message, int? failedIndex)
        : base(status, message, errorCode, null) => FailedIndex = failedIndex;
    /// <summary>Index of the operation that failed, when the service says.</summary>
    public int? FailedIndex { get; }
}

public sealed partial class TableClient
{
    /// <summary>Service limit on operations per entity group transaction.</summary>
    public const int MaxTransactionActions = 100;

    /// <summary>Entity group transaction: one partition, ≤ 100 operations, all or nothing.</summary>
    public async Task<IReadOnlyList<TableTransactionResult>> SubmitTransactionAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var list = actions.ToList();
        ValidateTransaction(list);

        var batchBoundary = "batch_" + Guid.NewGuid().ToString("N");
        var changesetBoundary = "changeset_" + Guid.NewGuid().ToString("N");
        var body = BuildBatchBody(list, batchBoundary, changesetBoundary);

        using var message = StorageTransport.CreateMessage(_pipeline, RequestMethod.Post, StorageTransport.Combine(_endpoint, "$batch"), _version);
        AddTableHeaders(message.Request.Headers);
        message.Request.Headers.SetValue("Content-Type", "multipart/mixed; boundary=" + batchBoundary);
        message.Request.Content = RequestContent.Create(body);
        await StorageTransport.SendRawAsync(_pipeline, message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        if (response.Status != 202)
        {
            var ex = StorageTransport.CreateException(response);
            throw new TableTransactionFailedException(response.Status, ex.ErrorCode, ex.Message, null);
        }
        return ParseBatchResponse(response.Content.ToString(), list.Count);
    }

    private static void ValidateTransaction(List<TableTransactionAction> list)
    {
        if (list.Count == 0)
        {
            throw new ArgumentException("A transaction needs at least one action.", "actions");
        }
        if (list.Count > MaxTransactionActions)
        {
            throw new ArgumentException($"A transaction holds at most {MaxTransactionActions} actions, not {list.Count}.", "actions");
        }
        var partition = list[0].Entity?.PartitionKey;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Count; i++)
        {
            var action = list[i] ?? throw new ArgumentException($"Action {i} is null.", "actions");
            ValidateEntity(action.Entity);
            if (!string.Equals(action.Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Action {i} is in partition '{action.Entity.PartitionKey}', not '{partition}': a transaction spans one partition.", "actions");
            }
            if (!rows.Add(action.Entity.RowKey))
            {
                throw new ArgumentException($"Action {i} repeats RowKey '{action.Entity.RowKey}': each entity may appear once per transaction.", "actions");
            }
        }
    }

    private byte[] BuildBatchBody(List<TableTransactionAction> list, string batchBoundary, string changesetBoundary)
    {
        // CRLF throughout; each JSON body on one line (Azurite's parser relies on it).
        var sb = new StringBuilder();
        sb.Append("--").Append(batchBoundary).Append("\r\n")
          .Append("Content-Type: multipart/mixed; boundary=").Append(changesetBoundary).Append("\r\n\r\n");
        foreach (var action in list)
        {
            var (method, uri, ifMatch, hasBody) = action.ActionType switch
            {
                TableTransactionActionType.Add => ("POST", _tableUri, (string?)null, true),
                TableTransactionActionType.UpdateMerge => ("MERGE", EntityUri(action.Entity.PartitionKey, action.Entity.RowKey), IfMatch(action.ETag), true),
                TableTransactionActionType.UpdateReplace => ("PUT", EntityUri(action.Entity.PartitionKey, action.Entity.RowKey), IfMatch(action.ETag), true),
                TableTransactionActionType.UpsertMerge => ("MERGE", EntityUri(action.Entity.PartitionKey, action.Entity.RowKey), null, true),
                TableTransactionActionType.UpsertReplace => ("PUT", EntityUri(action.Entity.PartitionKey, action.Entity.RowKey), null, true),
                TableTransactionActionType.Delete => ("DELETE", EntityUri(action.Entity.PartitionKey, action.Entity.RowKey), IfMatch(action.ETag), false),
                _ => throw new ArgumentOutOfRangeException(nameof(list), action.ActionType, "Unknown action type."),
            };
            sb.Append("--").Append(changesetBoundary).Append("\r\n")
              .Append("Content-Type: application/http\r\n")
              .Append("Content-Transfer-Encoding: binary\r\n\r\n")
              .Append(method).Append(' ').Append(uri.AbsoluteUri).Append(" HTTP/1.1\r\n")
              .Append("Accept: application/json;odata=minimalmetadata\r\n")
              .Append("DataServiceVersion: 3.0\r\n");
            if (ifMatch is not null)
            {
                sb.Append("If-Match: ").Append(ifMatch).Append("\r\n");
            }
            if (hasBody)
            {
                var json = Encoding.UTF8.GetString(TableEntityJson.Serialize(action.Entity));
                if (action.ActionType == TableTransactionActionType.Add)
                {
                    sb.Append("Prefer: return-no-content\r\n");
                }
                sb.Append("Content-Type: application/json\r\n\r\n").Append(json).Append("\r\n");
            }
            else
            {
                sb.Append("\r\n");
            }
        }
        sb.Append("--").Append(changesetBoundary).Append("--\r\n")
          .Append("--").Append(batchBoundary).Append("--\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [GeneratedRegex(@"^HTTP/1\.[01] (\d{3})[^\r\n]*\r?\n(.*?)\r?\n\r?\n(.*?)(?=\r?\n--|\z)", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex SubResponse();

    [GeneratedRegex(@"^ETag:\s*(.+?)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ETagHeader();

    [GeneratedRegex(@"^(\d+):")]
    private static partial Regex IndexPrefix();

    [GeneratedRegex(@"^Content-ID:\s*(\d+)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ContentId();

    /// <summary>Reads the sub-responses; any 4xx/5xx means the service rolled the whole changeset back.</summary>
    internal static IReadOnlyList<TableTransactionResult> ParseBatchResponse(string body, int actionCount)
    {
        var parts = SubResponse().Matches(body);
        var results = new List<TableTransactionResult>();
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            var status = int.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            var headers = part.Groups[2].Value;
            if (status >= 400)
            {
                var (code, serviceMessage) = StorageTransport.ParseErrorBody(part.Groups[3].Value.Trim());
                int? index = null;
                if (serviceMessage is not null && IndexPrefix().Match(serviceMessage) is { Success: true } m)
                {
                    index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                }
                else if (parts.Count == actionCount)
                {
                    // One sub-response per action: its position is the failing action.
                    index = i;
                }
                else if (ContentId().Match(headers) is { Success: true } cid)
                {
                    index = int.Parse(cid.Groups[1].Value, CultureInfo.InvariantCulture);
                }
                var text = $"Table transaction failed.\nStatus: {status}" + (code is null ? "" : $"\nErrorCode: {code}")
                    + (index is null ? "" : $"\nFailedIndex: {index}") + (serviceMessage is null ? "" : $"\nMessage: {serviceMessage}");
                throw new TableTransactionFailedException(status, code, text, index);
            }
            var etag = ETagHeader().Match(headers);
            results.Add(new TableTransactionResult(status, etag.Success ? new ETag(etag.Groups[1].Value) : default));
        }
        if (results.Count != actionCount)
        {
            throw new TableTransactionFailedException(202, null, $"Table transaction response held {results.Count} results for {actionCount} actions.", null);
        }
        return results;
    }
}
