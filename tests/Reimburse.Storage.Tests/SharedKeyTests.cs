using System.Security.Cryptography;
using System.Text;
using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

/// <summary>String-to-sign checked against literals written from the documented algorithm, signature recomputed here.</summary>
public sealed class SharedKeyTests
{
    internal static string Hmac(string base64Key, string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(stringToSign)));

    private static readonly KeyValuePair<string, string>[] ListHeaders =
    [
        new("x-ms-version", "2021-12-02"),
        new("X-MS-Date", "Sun, 22 Nov 2026 02:00:00 GMT"),
        new("Accept", "application/xml"),
        new("x-ms-client-request-id", " abc "),
    ];

    [Fact]
    public void BuildBlobQueueStringToSign_ListWithQuery_MatchesDocumentedLayout()
    {
        var uri = new Uri("http://127.0.0.1:10000/devstoreaccount1/mycontainer?restype=container&comp=list&prefix=a%2Fb&include=metadata&include=snapshots");

        var actual = SharedKeyCredentialPolicy.BuildBlobQueueStringToSign("devstoreaccount1", "GET", 0, ListHeaders, uri);

        const string expected =
            "GET\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-client-request-id:abc\n" +
            "x-ms-date:Sun, 22 Nov 2026 02:00:00 GMT\n" +
            "x-ms-version:2021-12-02\n" +
            "/devstoreaccount1/devstoreaccount1/mycontainer\n" +
            "comp:list\n" +
            "include:metadata,snapshots\n" +
            "prefix:a/b\n" +
            "restype:container";
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BuildBlobQueueStringToSign_ZeroLength_LeavesContentLengthEmpty()
    {
        var put = SharedKeyCredentialPolicy.BuildBlobQueueStringToSign("a", "PUT", 0, [], new Uri("https://a.queue.core.windows.net/q"));
        Assert.Equal("PUT\n\n\n\n\n\n\n\n\n\n\n\n/a/q", put);
    }

    [Fact]
    public void BuildBlobQueueStringToSign_ConditionalHeaders_GoInTheirSlots()
    {
        KeyValuePair<string, string>[] headers =
        [
            new("If-Match", "\"0x1\""), new("If-None-Match", "*"), new("Content-Type", "text/plain"), new("Range", "bytes=0-9"),
        ];

        var actual = SharedKeyCredentialPolicy.BuildBlobQueueStringToSign("a", "PUT", 5, headers, new Uri("https://a.blob.core.windows.net/c/b"));

        Assert.Equal("PUT\n\n\n5\n\ntext/plain\n\n\n\"0x1\"\n*\n\nbytes=0-9\n/a/c/b", actual);
    }

    [Fact]
    public void Sign_FixedStringToSign_MatchesIndependentHmac()
    {
        const string stringToSign = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Sun, 22 Nov 2026 02:00:00 GMT\nx-ms-version:2021-12-02\n/devstoreaccount1/devstoreaccount1/c\nrestype:container";
        var signature = SharedKeyCredentialPolicy.Sign(Convert.FromBase64String(AzuriteInstance.DevKey), stringToSign);
        Assert.Equal(Hmac(AzuriteInstance.DevKey, stringToSign), signature);
        Assert.Equal(44, signature.Length);
    }

    [Fact]
    public void BuildTableStringToSign_PathStyle_HasAccountTwiceAndOnlyComp()
    {
        var uri = new Uri("http://127.0.0.1:10002/devstoreaccount1/mytable()?$filter=PartitionKey%20eq%20'p'&$top=5");
        var actual = SharedKeyCredentialPolicy.BuildTableStringToSign("devstoreaccount1", "Sun, 22 Nov 2026 02:00:00 GMT", uri);
        Assert.Equal("Sun, 22 Nov 2026 02:00:00 GMT\n/devstoreaccount1/devstoreaccount1/mytable()", actual);
    }

    [Fact]
    public void BuildTableStringToSign_Comp_IsKept()
    {
        var uri = new Uri("https://acct.table.core.windows.net/mytable?comp=acl");
        var actual = SharedKeyCredentialPolicy.BuildTableStringToSign("acct", "Sun, 22 Nov 2026 02:00:00 GMT", uri);
        Assert.Equal("Sun, 22 Nov 2026 02:00:00 GMT\n/acct/mytable?comp=acl", actual);
    }
}
