using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace QForge.Benchmarks;

/// <summary>
/// A throughput column from the median: the work one invocation does (deterministic, computed in the host process)
/// divided by its median time, in <paramref name="unit"/>s per second (e.g. million steps, or GFLOP).
/// </summary>
public sealed class RateColumn(string columnName, string legend, Func<BenchmarkCase, double> workPerInvocation, double unit) : IColumn
{
    /// <summary>Environment steps per second, in millions.</summary>
    public static RateColumn StepsPerSecond(Func<BenchmarkCase, long> steps) =>
        new("M steps/s", "Environment steps per second (millions), from the median", c => steps(c), 1e6);

    public string Id => $"{nameof(RateColumn)}.{columnName}";
    public string ColumnName => columnName;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => legend;
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        summary[benchmarkCase]?.ResultStatistics is { } statistics
            ? (workPerInvocation(benchmarkCase) / (statistics.Median * 1e-9) / unit).ToString("F1", CultureInfo.InvariantCulture)
            : "-";
}
