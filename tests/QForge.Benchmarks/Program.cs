using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/QForge.Benchmarks -- --filter '*'
// The README quotes medians: on shared machines one slow iteration moves the mean, not the median.
// dotnet run -c Release --project tests/QForge.Benchmarks -- tracking-paired [episodes] [rounds]: see PairedTrackingOverhead.
if (args is ["tracking-paired", .. var paired]) return QForge.Benchmarks.PairedTrackingOverhead.Run(paired);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddColumn(StatisticColumn.Median));
return 0;
