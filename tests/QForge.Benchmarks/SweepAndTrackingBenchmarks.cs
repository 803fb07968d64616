using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using QForge.Experiments.FrozenLake;
using QForge.Tabular;
using QForge.Tracking;
using QForge.Training;

namespace QForge.Benchmarks;

/// <summary>
/// 64 FrozenLake trials (the experiment's 10,000 episodes and 1,000 evaluation episodes each, learning rates 0.01-0.5)
/// run by the sweep engine (<see cref="Hosting.Sweeps.SweepRunner"/>, recording each trial) with 1 and with 2 parallel
/// workers: the speed-up is the ratio of the two medians.
/// </summary>
/// <remarks>
/// Code that runs once per sweep (starting workers, reading records, writing sweep.json) is called once per iteration, so
/// tiered compilation re-compiles it (instrumented, then optimised) only after about 30 and 60 iterations, each time on a
/// background thread that takes CPU from the trials on this 2-core machine. 80 warm-up iterations measure the sweep
/// after that has settled, as the trials alone are measured.
/// </remarks>
[WarmupCount(80)]
public class SweepBenchmarks
{
    private readonly Hosting.Sweeps.SweepPlan _plan = new("frozen-lake", [new SweepDimension("LearningRate", SweepKind.Range, [], 0.01, 0.5, 64, false)],
        Hosting.Sweeps.SweepStrategy.Grid, 0, 0, [1], "return", true, new Dictionary<string, string>());
    private ExperimentDescriptor _descriptor = null!;
    private string _root = "";

    [Params(1, 2)]
    public int Workers { get; set; }

    private string _folders = "";

    [GlobalSetup]
    public void Setup()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(typeof(LakeExperiment).Module.ModuleHandle); // registers the experiment
        _descriptor = ExperimentRegistry.Find("frozen-lake");
        _folders = Directory.CreateTempSubdirectory("qforge-bench-sweep-").FullName;
    }

    // Each iteration records into a fresh folder; all are deleted at the end, so no deletion's file-system work
    // runs in the background of a measured iteration.
    [IterationSetup]
    public void NewFolder() => _root = Directory.CreateDirectory(Path.Combine(_folders, Guid.NewGuid().ToString("N"))).FullName;

    [GlobalCleanup]
    public void DeleteFolders() => Directory.Delete(_folders, recursive: true);

    /// <summary>The same trials with typed settings and Parallel.For: what the machinery adds is the difference.</summary>
    [Benchmark]
    public double DirectSixtyFourTrials()
    {
        var rates = _plan.Dimensions[0].GridValues().Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var returns = new double[rates.Length];
        Parallel.For(0, rates.Length, new ParallelOptions { MaxDegreeOfParallelism = Workers },
            t => returns[t] = new LakeExperiment().Train(new LakeTraining { Seed = 1, LearningRate = rates[t] }).Evaluation.MeanReturn);
        return returns.Sum();
    }

    [Benchmark]
    public int SixtyFourTrials()
    {
        var runner = new Hosting.Sweeps.SweepRunner(_descriptor, _plan, _root);
        runner.RunAsync(runner.ShardIndices(0, 1), Workers, null, CancellationToken.None).GetAwaiter().GetResult();
        return Directory.GetFiles(Path.Combine(_root, "trials")).Length; // (reading the records back is the table's cost, not the trials')
    }
}

/// <summary>
/// The cost of MLflow tracking on FrozenLake runs: training alone against training that logs one metric set (return,
/// length, epsilon) per episode to the file store through the background writer, including creating and ending the
/// run and draining every value to disk; the observer is a struct (the trainer's loop is compiled for it) or, as the
/// host's observers are, an object behind the interface. At 10,000 episodes (~5 ms of training) the fixed cost of
/// the run's files shows; at 200,000 and 1,000,000 episodes the per-episode cost.
/// </summary>
/// <remarks>
/// Each iteration is one run (its folder is deleted after it, see <see cref="DeleteLastRun"/>), so 80 warm-up iterations
/// let tiered compilation reach the optimised code first: with BenchmarkDotNet's few default ones, the 10,000-episode
/// runs were measured in first-tier code, 8x slower.
/// </remarks>
[WarmupCount(80)]
public class TrackingOverheadBenchmarks
{
    private static readonly string[] Keys = ["episode_return", "episode_length", "epsilon"];
    private string _root = "";

    [GlobalSetup]
    public void Setup() => _root = Directory.CreateTempSubdirectory("qforge-bench-mlruns-").FullName;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Params(10_000, 200_000, 1_000_000)]
    public int Episodes { get; set; }

    [Benchmark(Baseline = true)]
    public long Untracked() => new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train().Steps;

    /// <summary>
    /// Training observed as the host observes an untracked run (its progress display reads every report), logging
    /// nothing: a tracked run's extra time over this one is what logging itself costs, without the price of observing.
    /// </summary>
    [Benchmark]
    public long Observed()
    {
        var observer = new EpisodeSums();
        long steps = new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train(ref observer).Steps;
        return steps + (long)observer.Total;
    }

    /// <summary>
    /// <see cref="Observed"/> through the interface, one virtual call per episode as the host's observers are called:
    /// the baseline of <see cref="TrackedThroughInterface"/>.
    /// </summary>
    [Benchmark]
    public long ObservedThroughInterface()
    {
        var observer = new EpisodeSumsObject();
        long steps = new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train(observer).Steps;
        return steps + (long)observer.Sums.Total;
    }

    [Benchmark]
    public long Tracked() => Track(run =>
    {
        var observer = new EpisodeMetrics(run.CreateSeries(Keys));
        return new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train(ref observer).Steps;
    });

    [Benchmark]
    public long TrackedThroughInterface() => Track(run =>
        new QLearningTrainer<FrozenLake>(new LakeTraining { Episodes = Episodes }).Train(new EpisodeMetricsObject(run.CreateSeries(Keys))).Steps);

    /// <summary>The last tracked run's phases: starting it (with its params), training (with the series), ending it.</summary>
    internal (TimeSpan Start, TimeSpan Train, TimeSpan End) LastPhases { get; private set; }

    private long Track(Func<TrackedRun, long> train)
    {
        long started = Stopwatch.GetTimestamp();
        var run = TrackedRun.Start(new FileStore(_root), "overhead", "run", new Dictionary<string, string>(), TimeProvider.System);
        run.LogParams(new LakeTraining { Episodes = Episodes }.ToParameters());
        long training = Stopwatch.GetTimestamp();
        long steps = train(run);
        long ending = Stopwatch.GetTimestamp();
        run.EndAsync(RunState.Finished).GetAwaiter().GetResult();
        LastPhases = (Stopwatch.GetElapsedTime(started, training), Stopwatch.GetElapsedTime(training, ending), Stopwatch.GetElapsedTime(ending));
        _lastRunDirectory = run.Directory;
        return steps;
    }

    private string? _lastRunDirectory;

    /// <summary>
    /// Deletes the folder of the last tracked run, untimed: a paired round does it between cases, BenchmarkDotNet after
    /// each iteration (which makes every iteration one invocation, so one run). A 200,000-episode run writes ~14 MB of
    /// metric lines; kept, hundreds of runs fill the page cache with GBs that the kernel writes back while later runs
    /// train, which doubled the writer's CPU time (page-cache copies) and put earlier runs' cost on later ones.
    /// </summary>
    [IterationCleanup]
    public void DeleteLastRun()
    {
        if (_lastRunDirectory is { } directory) Directory.Delete(directory, recursive: true);
        _lastRunDirectory = null;
    }

    private struct EpisodeMetrics(MetricSeries series) : ITrainingObserver
    {
        private Row _values;

        public void OnEpisodeEnd(in EpisodeReport report)
        {
            _values[0] = report.Return;
            _values[1] = report.Length;
            _values[2] = report.Epsilon;
            series.Add(report.Episode, _values);
        }
    }

    private struct EpisodeSums : ITrainingObserver
    {
        public double Total;

        public void OnEpisodeEnd(in EpisodeReport report) => Total += report.Return + report.Length + report.Epsilon;
    }

    private sealed class EpisodeSumsObject : ITrainingObserver
    {
        public EpisodeSums Sums;

        public void OnEpisodeEnd(in EpisodeReport report) => Sums.OnEpisodeEnd(report);
    }

    private sealed class EpisodeMetricsObject(MetricSeries series) : ITrainingObserver
    {
        private EpisodeMetrics _metrics = new(series);

        public void OnEpisodeEnd(in EpisodeReport report) => _metrics.OnEpisodeEnd(report);
    }

    [System.Runtime.CompilerServices.InlineArray(3)]
    private struct Row
    {
        private double _value;
    }
}

/// <summary>
/// A whole default training run of the FrozenLake experiment as a user starts it (<c>train frozen-lake</c>: host start,
/// 10,000 episodes with one metric set per episode, 1,000 evaluation episodes, the run folder, checkpoints) as a new
/// process, with MLflow tracking off and on (a file store in a fresh folder): the difference is what tracking costs a
/// run, including its first-use costs (compiling the tracking code, creating the run's files, the artifacts).
/// Needs the experiment built in Release (<c>dotnet run -c Release --project tests/QForge.Benchmarks</c> builds it).
/// </summary>
[WarmupCount(2)]
[IterationCount(15)]
[InvocationCount(1)]
public class WholeRunTrackingBenchmarks
{
    private string _program = "";
    private string _folder = "";

    [Params(false, true)]
    public bool Tracking { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "QForge.sln"))) directory = directory.Parent;
        _program = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("QForge.sln not found above " + AppContext.BaseDirectory),
            "experiments", "FrozenLake", "bin", "Release", "net10.0", "FrozenLake.dll");
        if (!File.Exists(_program)) throw new InvalidOperationException($"{_program} is missing: build the experiment in Release first.");
        _folder = Directory.CreateTempSubdirectory("qforge-bench-run-").FullName;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark]
    public int TrainFrozenLake()
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = _folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])[_program, "train", "frozen-lake", $"--QForge:Tracking={(Tracking ? "true" : "false")}"]) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"train frozen-lake exited with {process.ExitCode}");
        return process.ExitCode;
    }
}

/// <summary>
/// The sweep machinery's cost per trial. 64 FrozenLake trials of one training episode and one evaluation episode each
/// (so training itself takes microseconds), run directly with typed settings, through <see cref="Hosting.Sweeps.SweepRunner"/>
/// (a configuration built and bound per trial, an experiment and a training session per trial, the trial record written
/// atomically) and through the runner with an MLflow child run per trial in a file store, as <c>sweep</c> logs them.
/// The cost per trial is (runner - direct) / 64. One worker, so the figures are the machinery's, not the scheduling's.
/// </summary>
public class SweepMachineryBenchmarks
{
    private const int Trials = 64;
    private static readonly SweepDimension LearningRates = new("LearningRate", SweepKind.Range, [], 0.01, 0.5, Trials, false);
    private readonly Hosting.Sweeps.SweepPlan _plan = new("frozen-lake", [LearningRates], Hosting.Sweeps.SweepStrategy.Grid, 0, 0, [1], "return", true,
        new Dictionary<string, string> { ["Episodes"] = "1", ["EvaluationEpisodes"] = "1" });
    private readonly double[] _rates = [.. LearningRates.GridValues().Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
    private ExperimentDescriptor _descriptor = null!;
    private string _root = "";

    [GlobalSetup]
    public void Setup()
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunModuleConstructor(typeof(LakeExperiment).Module.ModuleHandle); // registers the experiment
        _descriptor = ExperimentRegistry.Find("frozen-lake");
    }

    [IterationSetup]
    public void NewFolder() => _root = Directory.CreateTempSubdirectory("qforge-bench-sweep-").FullName;

    [IterationCleanup]
    public void DeleteFolder() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true)]
    public double Direct()
    {
        double total = 0;
        foreach (double rate in _rates)
            total += new LakeExperiment().Train(new LakeTraining { Episodes = 1, EvaluationEpisodes = 1, LearningRate = rate, Seed = 1 }).Evaluation.MeanReturn;
        return total;
    }

    [Benchmark]
    public int Runner()
    {
        var runner = new Hosting.Sweeps.SweepRunner(_descriptor, _plan, Path.Combine(_root, "sweep"));
        runner.RunAsync(runner.ShardIndices(0, 1), 1, null, CancellationToken.None).GetAwaiter().GetResult();
        return runner.LoadResults().Count;
    }

    [Benchmark]
    public int RunnerWithMlflowRuns()
    {
        var target = new TrackingTarget(new FileStore(Path.Combine(_root, "mlruns")), "sweep-bench");
        var runner = new Hosting.Sweeps.SweepRunner(_descriptor, _plan, Path.Combine(_root, "sweep"));
        var parent = TrackedRun.StartAsync(target.Store, target.ExperimentName, "parent", new Dictionary<string, string>()).GetAwaiter().GetResult();
        var sourceTags = Hosting.RunTracking.SourceTags(_descriptor);
        runner.RunAsync(runner.ShardIndices(0, 1), 1,
            trial => Hosting.Sweeps.SweepTracking.StartChildAsync(target, parent, sourceTags, _plan, trial, TimeProvider.System,
                Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance), CancellationToken.None).GetAwaiter().GetResult();
        parent.EndAsync(RunState.Finished).GetAwaiter().GetResult();
        return runner.LoadResults().Count;
    }
}
