using BenchmarkDotNet.Attributes;
using QForge.Experiments.FrozenLake;
using QForge.Tabular;
using QForge.Tracking;
using QForge.Training;

namespace QForge.Benchmarks;

/// <summary>
/// 64 FrozenLake trials (2000 episodes each, 100 evaluation episodes) run with 1 and with 2 parallel workers, as the
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
            var settings = new LakeTraining { Episodes = 2000, EvaluationEpisodes = 100, Seed = trial, LearningRate = 0.02 + 0.003 * trial };
            double result = new LakeExperiment().Train(settings).Evaluation.MeanReturn;
            lock (this) total += result;
        });
        return total;
    }
}

/// <summary>
/// The cost of MLflow tracking on a FrozenLake run of 10,000 episodes: training alone against training that logs one
/// metric set (return, length, epsilon) per episode to the file store through the background writer, ending the run.
/// </summary>
public class TrackingOverheadBenchmarks
{
    private string _root = "";

    [GlobalSetup]
    public void Setup() => _root = Directory.CreateTempSubdirectory("qforge-bench-mlruns-").FullName;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true)]
    public long Untracked() => new QLearningTrainer<FrozenLake>(new LakeTraining()).Train().Steps;

    [Benchmark]
    public long Tracked()
    {
        var store = new FileStore(_root);
        var run = TrackedRun.Start(store, "overhead", "run", new Dictionary<string, string>(), TimeProvider.System);
        var settings = new LakeTraining();
        run.LogParams(settings.ToParameters());
        long steps = new QLearningTrainer<FrozenLake>(settings).Train(new EpisodeMetrics(run)).Steps;
        run.EndAsync(RunState.Finished).GetAwaiter().GetResult();
        return steps;
    }

    private sealed class EpisodeMetrics(TrackedRun run) : ITrainingObserver
    {
        public void OnEpisodeEnd(in EpisodeReport report)
        {
            run.LogMetric("episode_return", report.Return, report.Episode);
            run.LogMetric("episode_length", report.Length, report.Episode);
            run.LogMetric("epsilon", report.Epsilon, report.Episode);
        }
    }
}
