namespace Reimburse.Bench;
/// <summary>A benchmark command: `dotnet run --project bench/Reimburse.Bench -c Release -- NAME [args]`.</summary>
public interface IBenchmark { string Name { get; } string Description { get; } Task<int> RunAsync(string[] args, CancellationToken cancellationToken); }
