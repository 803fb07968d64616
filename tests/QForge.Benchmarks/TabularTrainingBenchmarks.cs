using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using QForge.Experiments.FrozenLake;
using QForge.Experiments.Taxi;
using QForge.Tabular;

namespace QForge.Benchmarks;

/// <summary>
/// Tabular training throughput: one invocation trains a fresh table for a fixed number of episodes with a fixed seed,
/// so every invocation runs the same steps (epsilon decays from 1 to 0.05 across them, as in a real run).
/// The <c>M steps/s</c> column divides those steps by the median time.
/// </summary>
[Config(typeof(Config))]
public class TabularTrainingBenchmarks
{
    public enum Environment { Taxi, FrozenLake }

    public enum Update { Online, Replay32 }

    [Params(Environment.Taxi, Environment.FrozenLake)]
    public Environment Env { get; set; }

    [Params(Update.Online, Update.Replay32)]
    public Update Mode { get; set; }

    [Benchmark]
    public long Train() => Run(Env, Mode);

    /// <summary>Trains and returns the number of environment steps taken (deterministic for the fixed seed).</summary>
    public static long Run(Environment environment, Update mode)
    {
        bool replay = mode == Update.Replay32;
        int episodes = replay ? 200 : 4_000;
        var settings = new QLearningSettings
        {
            Episodes = episodes,
            EpsilonDecayEpisodes = episodes / 2,
            ReplayCapacity = replay ? 10_000 : 0,
            ReplayBatchSize = 32,
            Seed = 1,
        };
        return environment == Environment.Taxi
            ? new QLearningTrainer<Taxi>(settings).Train().Steps
            : new QLearningTrainer<FrozenLake>(settings, new FrozenLake(isSlippery: true)).Train().Steps;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new StepsPerSecondColumn());
    }

    private sealed class StepsPerSecondColumn : IColumn
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

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } statistics) return "-";
            var env = (Environment)benchmarkCase.Parameters["Env"];
            var mode = (Update)benchmarkCase.Parameters["Mode"];
            long steps = Run(env, mode);
            return (steps / statistics.Median * 1e3).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
