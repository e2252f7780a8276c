namespace Reimburse.Testing;

/// <summary>A TimeProvider whose time moves only when told to.</summary>
public sealed class FakeClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    private readonly Lock _gate = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) { return _now; }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate) { _now += by; }
    }

    public void Set(DateTimeOffset to)
    {
        lock (_gate) { _now = to; }
    }
}
