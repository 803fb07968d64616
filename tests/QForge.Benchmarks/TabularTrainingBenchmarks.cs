using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
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
        public Config() => AddColumn(RateColumn.StepsPerSecond(c => Run((Environment)c.Parameters["Env"], (Update)c.Parameters["Mode"])));
    }
}
