using Reimburse.Functions.Risk;

namespace Reimburse.Tests.Risk;

public sealed class RiskModelPointerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Activate_NoPointer_StartsWithEmptyHistory()
    {
        var p = RiskModelPointer.Activate(null, "v1", At);

        Assert.Equal(("v1", 0), (p.ActiveVersion, p.PreviousVersions.Count));
    }

    [Fact]
    public void Activate_NewVersion_PushesCurrentToHistory()
    {
        var p = RiskModelPointer.Activate(RiskModelPointer.Activate(RiskModelPointer.Activate(null, "v1", At), "v2", At), "v3", At);

        Assert.Equal(["v2", "v1"], p.PreviousVersions);
    }

    [Fact]
    public void Rollback_WithoutVersion_ReturnsToPrevious()
    {
        var p = RiskModelPointer.Activate(RiskModelPointer.Activate(null, "v1", At), "v2", At);

        var back = RiskModelPointer.Rollback(p, null, At.AddHours(1));

        Assert.Equal(("v1", 0), (back.ActiveVersion, back.PreviousVersions.Count));
    }

    [Fact]
    public void Rollback_ToNamedVersion_DropsNewerHistory()
    {
        var p = RiskModelPointer.Activate(RiskModelPointer.Activate(RiskModelPointer.Activate(null, "v1", At), "v2", At), "v3", At);

        var back = RiskModelPointer.Rollback(p, "v1", At);

        Assert.Equal(("v1", 0), (back.ActiveVersion, back.PreviousVersions.Count));
    }

    [Fact]
    public void Rollback_NoEarlierVersion_ThrowsTypedError()
    {
        Assert.Throws<RiskModelVersionException>(() => RiskModelPointer.Rollback(RiskModelPointer.Activate(null, "v1", At), null, At));
    }

    [Fact]
    public void Rollback_VersionNeverActive_ThrowsTypedError()
    {
        var p = RiskModelPointer.Activate(RiskModelPointer.Activate(null, "v1", At), "v2", At);

        Assert.Throws<RiskModelVersionException>(() => RiskModelPointer.Rollback(p, "v9", At));
    }

    [Fact]
    public void FromJson_RoundTrip_KeepsPointer()
    {
        var p = RiskModelPointer.Activate(RiskModelPointer.Activate(null, "v1", At), "v2", At);

        var copy = RiskModelPointer.FromJson(p.ToJson());

        Assert.Equal((p.ActiveVersion, p.ActivatedAt), (copy.ActiveVersion, copy.ActivatedAt));
        Assert.Equal(p.PreviousVersions, copy.PreviousVersions);
    }

    [Fact]
    public void ModelBlob_PathSegmentInCompanyId_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => RiskModelStore.ModelBlob("../other", "v1"));
    }
}
