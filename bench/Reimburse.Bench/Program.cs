using System.Reflection; using Reimburse.Bench;
var benches = Assembly.GetExecutingAssembly().GetTypes().Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }).Select(t => (IBenchmark)Activator.CreateInstance(t)!).OrderBy(b => b.Name).ToList();
var bench = args.Length > 0 ? benches.FirstOrDefault(b => b.Name == args[0]) : null;
if (bench is null) { Console.Error.WriteLine("usage: bench <name> [args]"); foreach (var b in benches) Console.Error.WriteLine($"  {b.Name,-10} {b.Description}"); return 2; }
using var cts = new CancellationTokenSource(); Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
return await bench.RunAsync(args[1..], cts.Token);
