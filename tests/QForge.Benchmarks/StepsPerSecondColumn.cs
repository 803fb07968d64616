using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace QForge.Benchmarks;

/// <summary>
/// Environment steps per second, in millions, from the median: the steps of one invocation (deterministic for a
/// fixed seed, recomputed here in the host process) divided by its median time.
/// </summary>
public sealed class StepsPerSecondColumn(Func<BenchmarkCase, long> stepsPerInvocation) : IColumn
{
    public string Id => nameof(StepsPerSecondColumn);
    public string ColumnName => "M steps/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Environment steps per second (millions), from the median";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        summary[benchmarkCase]?.ResultStatistics is { } statistics
            ? (stepsPerInvocation(benchmarkCase) / statistics.Median * 1e3).ToString("F1", CultureInfo.InvariantCulture)
            : "-";
}
