using BenchmarkDotNet.Attributes;
using QForge.Experiments.FrozenLake;
using QForge.Tabular;
using QForge.Tracking;
using QForge.Training;

namespace QForge.Benchmarks;

/// <summary>
/// 64 FrozenLake trials (the experiment's 10,000 episodes and 1,000 evaluation episodes each) run with 1 and with 2 parallel workers, as the
/// sweep command runs them: the speed-up is the ratio of the two medians.
/// </summary>
public class SweepBenchmarks
{
    [Params(1, 2)]
    public int Workers { get; set; }

    [Benchmark]
    public double SixtyFourTrials()
    {
        double total = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = Workers }, trial =>
        {
            var settings = new LakeTraining { Seed = trial, LearningRate = 0.02 + 0.003 * trial };
            double result = new LakeExperiment().Train(settings).Evaluation.MeanReturn;
            lock (this) total += result;
        });
        return total;
    }
}

/// <summary>
/// The cost of MLflow tracking on FrozenLake runs: training alone against training that logs one metric set (return,
/// length, epsilon) per episode to the file store through the background writer, including creating and ending the
/// run and draining every value to disk. At 10,000 episodes (3.5 ms of training) the fixed cost of creating the run's
/// files dominates; at 200,000 episodes the per-episode cost shows.
/// </summary>
public class TrackingOverheadBenchmarks
{
    private string _root = "";

    [GlobalSetup]
    public void Setup() => _root = Directory.CreateTempSubdirectory("qforge-bench-mlruns-").FullName;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Params(10_000, 200_000)]
    public int Episodes { get; set; }

    [Benchmark(Baseline = true)]
    public long Untracked() => new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train().Steps;

    [Benchmark]
    public long Tracked()
    {
        var store = new FileStore(_root);
        var run = TrackedRun.Start(store, "overhead", "run", new Dictionary<string, string>(), TimeProvider.System);
        var settings = new LakeTraining { Episodes = Episodes };
        run.LogParams(settings.ToParameters());
        long steps = new QLearningTrainer<FrozenLake>(settings).Train(new EpisodeMetrics(run.CreateSeries(["episode_return", "episode_length", "epsilon"]))).Steps;
        run.EndAsync(RunState.Finished).GetAwaiter().GetResult();
        return steps;
    }

    private sealed class EpisodeMetrics(MetricSeries series) : ITrainingObserver
    {
        private readonly double[] _values = new double[3];

        public void OnEpisodeEnd(in EpisodeReport report)
        {
            _values[0] = report.Return;
            _values[1] = report.Length;
            _values[2] = report.Epsilon;
            series.Add(report.Episode, _values);
        }
    }
}
