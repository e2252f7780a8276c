using Reimburse.Storage;

namespace Reimburse.Tests;

public sealed class TableEntityTests
{
    [Fact]
    public void GetInt64_IntValue_Widens() => Assert.Equal(42L, new TableEntity("p", "r") { ["N"] = 42 }.GetInt64("N"));

    [Fact]
    public void GetInt64_NumericString_Parses() => Assert.Equal(9_007_199_254_740_993L, new TableEntity("p", "r") { ["N"] = "9007199254740993" }.GetInt64("N"));

    [Fact]
    public void GetInt32_LongInRange_Narrows() => Assert.Equal(7, new TableEntity("p", "r") { ["N"] = 7L }.GetInt32("N"));

    [Fact]
    public void GetInt32_LongOutOfRange_ThrowsOverflow() =>
        Assert.Throws<OverflowException>(() => new TableEntity("p", "r") { ["N"] = long.MaxValue }.GetInt32("N"));

    [Fact]
    public void GetDouble_IntValue_Converts() => Assert.Equal(3.0, new TableEntity("p", "r") { ["N"] = 3 }.GetDouble("N"));

    [Fact]
    public void GetInt64_Missing_ReturnsNull() => Assert.Null(new TableEntity("p", "r").GetInt64("N"));

    [Fact]
    public void GetInt64_Guid_ThrowsInvalidCast() =>
        Assert.Throws<InvalidCastException>(() => new TableEntity("p", "r") { ["N"] = Guid.NewGuid() }.GetInt64("N"));

    [Fact]
    public void GetDateTimeOffset_UtcDateTime_Converts()
    {
        var entity = new TableEntity("p", "r") { ["T"] = new DateTime(2026, 11, 22, 1, 2, 3, DateTimeKind.Utc) };
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 2, 3, TimeSpan.Zero), entity.GetDateTimeOffset("T"));
    }

    [Fact]
    public void GetGuid_String_Parses()
    {
        var id = Guid.NewGuid();
        Assert.Equal(id, new TableEntity("p", "r") { ["G"] = id.ToString() }.GetGuid("G"));
    }

    [Fact]
    public void GetBinary_Base64String_Decodes() => Assert.Equal(new byte[] { 1, 2, 3 }, new TableEntity("p", "r") { ["B"] = "AQID" }.GetBinary("B"));

    [Fact]
    public void GetBoolean_Bool_Returns() => Assert.True(new TableEntity("p", "r") { ["F"] = true }.GetBoolean("F"));

    [Fact]
    public void GetString_Int_FormatsValue() => Assert.Equal("5", new TableEntity("p", "r") { ["N"] = 5 }.GetString("N"));
}

public sealed class TableBatchResponseTests
{
    [Fact]
    public void ParseBatchResponse_ServiceStyleSingleFailure_ReadsIndexFromMessagePrefix()
    {
        // The real service answers a failed changeset with one sub-response whose message starts with "index:".
        const string body =
            "--batchresponse_x\r\nContent-Type: multipart/mixed; boundary=changesetresponse_y\r\n\r\n" +
            "--changesetresponse_y\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
            "HTTP/1.1 409 Conflict\r\nX-Content-Type-Options: nosniff\r\nContent-Type: application/json;odata=minimalmetadata;streaming=true;charset=utf-8\r\n\r\n" +
            "{\"odata.error\":{\"code\":\"EntityAlreadyExists\",\"message\":{\"lang\":\"en-US\",\"value\":\"2:The specified entity already exists.\\nRequestId:1\"}}}\r\n" +
            "--changesetresponse_y--\r\n--batchresponse_x--\r\n";

        var ex = Assert.Throws<TableTransactionFailedException>(() => TableClient.ParseBatchResponse(body, 3));

        Assert.Equal(409, ex.Status);
        Assert.Equal("EntityAlreadyExists", ex.ErrorCode);
        Assert.Equal(2, ex.FailedIndex);
    }

    [Fact]
    public void ParseBatchResponse_Success_ReturnsStatusAndETagPerAction()
    {
        const string body =
            "--batchresponse_x\r\nContent-Type: multipart/mixed; boundary=changesetresponse_y\r\n\r\n" +
            "--changesetresponse_y\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
            "HTTP/1.1 204 No Content\r\nETag: W/\"datetime'2026-11-22T02%3A00%3A00.1Z'\"\r\n\r\n\r\n" +
            "--changesetresponse_y\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
            "HTTP/1.1 204 No Content\r\n\r\n\r\n" +
            "--changesetresponse_y--\r\n--batchresponse_x--\r\n";

        var results = TableClient.ParseBatchResponse(body, 2);

        Assert.Equal([204, 204], results.Select(r => r.Status));
        Assert.Equal("W/\"datetime'2026-11-22T02%3A00%3A00.1Z'\"", results[0].ETag.ToString());
        Assert.Equal(default, results[1].ETag);
    }
}
