using Reimburse.Storage;
using Reimburse.Testing;

namespace Reimburse.Tests;

public sealed class StorageAccountTests
{
    [Fact]
    public void Parse_UseDevelopmentStorage_UsesAzuriteDefaults()
    {
        var account = StorageAccount.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), account.BlobEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), account.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), account.TableEndpoint);
        Assert.True(account.UsesSharedKey);
    }

    [Fact]
    public void Parse_AccountOnly_BuildsHttpsEndpointsWithDefaultSuffix()
    {
        var account = StorageAccount.Parse($"DefaultEndpointsProtocol=https;AccountName=reimbursehk;AccountKey={AzuriteInstance.DevKey}");

        Assert.Equal(new Uri("https://reimbursehk.blob.core.windows.net"), account.BlobEndpoint);
        Assert.Equal(new Uri("https://reimbursehk.queue.core.windows.net"), account.QueueEndpoint);
        Assert.Equal(new Uri("https://reimbursehk.table.core.windows.net"), account.TableEndpoint);
    }

    [Fact]
    public void Parse_EndpointSuffixAndHttp_AreUsed()
    {
        var account = StorageAccount.Parse($"AccountName=a;AccountKey={AzuriteInstance.DevKey};EndpointSuffix=core.chinacloudapi.cn;DefaultEndpointsProtocol=http");
        Assert.Equal(new Uri("http://a.blob.core.chinacloudapi.cn"), account.BlobEndpoint);
    }

    [Fact]
    public void Parse_ExplicitEndpoints_WinAndKeysAreCaseInsensitive()
    {
        var account = StorageAccount.Parse(AzuriteInstance.ConnectionStringFor(1, 2, 3).ToLowerInvariant().Replace(AzuriteInstance.DevKey.ToLowerInvariant(), AzuriteInstance.DevKey, StringComparison.Ordinal));

        Assert.Equal("devstoreaccount1", account.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:2/devstoreaccount1"), account.QueueEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:3/devstoreaccount1"), account.TableEndpoint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("AccountName=a")]
    [InlineData("AccountKey=Eby8vdM0")]
    [InlineData("AccountName=a;AccountKey=not base64!")]
    [InlineData("AccountName=a;AccountKey=AAAA;DefaultEndpointsProtocol=ftp")]
    [InlineData("AccountName=a;AccountKey=AAAA;BlobEndpoint=not-a-url")]
    [InlineData("AccountName=a;AccountName=b;AccountKey=AAAA")]
    [InlineData("UseDevelopmentStorage=false")]
    [InlineData("UseDevelopmentStorage=true;AccountName=a")]
    [InlineData("garbage")]
    [InlineData("AccountName=a;SharedAccessSignature=sv=2021")]
    public void Parse_Invalid_ThrowsArgumentException(string connectionString) =>
        Assert.Throws<ArgumentException>(() => StorageAccount.Parse(connectionString));

    [Fact]
    public void Parse_BadKey_DoesNotEchoTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => StorageAccount.Parse("AccountName=a;AccountKey=secret-value-not-base64"));
        Assert.DoesNotContain("secret-value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCredential_NullCredential_Throws() =>
        Assert.Throws<ArgumentNullException>(() => StorageAccount.FromCredential("a", new Uri("https://a"), new Uri("https://b"), new Uri("https://c"), null!));
}
