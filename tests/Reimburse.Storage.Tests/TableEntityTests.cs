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
