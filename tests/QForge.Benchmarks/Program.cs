using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/QForge.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
