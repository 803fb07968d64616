using QForge.Tracking;

namespace QForge.Hosting.Tests;

/// <summary>MLflow's file-store layout, as shared/reference/mlflow.md describes it.</summary>
public class FileStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"qforge-mlruns-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_new_store_has_the_default_experiment_and_a_trash_folder()
    {
        _ = new FileStore(_root);
        string meta = File.ReadAllText(Path.Combine(_root, "0", "meta.yaml"));
        Assert.Contains("experiment_id: '0'\n", meta);
        Assert.Contains("name: 'Default'\n", meta);
        Assert.Contains("lifecycle_stage: active\n", meta);
        Assert.Contains($"artifact_location: 'file://{Path.Combine(_root, "0")}'", meta);
        Assert.True(Directory.Exists(Path.Combine(_root, ".trash")));
    }

    [Fact]
    public void Runs_have_every_meta_key_quoted_and_every_folder()
    {
        var store = new FileStore(_root);
        string experiment = store.GetOrCreateExperiment("taxi");
        Assert.Equal(experiment, store.GetOrCreateExperiment("taxi"));
        Assert.All(experiment, c => Assert.True(char.IsAsciiDigit(c)));
        string run = store.CreateRun(experiment, "first", new Dictionary<string, string> { ["team"] = "rl" }, 1_700_000_000_000, "ana");
        Assert.Matches("^[0-9a-f]{32}$", run);
        string folder = store.RunDirectory(experiment, run);
        Assert.All(new[] { "metrics", "params", "tags", "artifacts" }, d => Assert.True(Directory.Exists(Path.Combine(folder, d)), d));
        string meta = File.ReadAllText(Path.Combine(folder, "meta.yaml"));
        foreach (string line in new[] { "end_time: null", "entry_point_name: ''", $"experiment_id: '{experiment}'", "lifecycle_stage: active",
                     $"run_id: '{run}'", $"run_uuid: '{run}'", "run_name: 'first'", "source_name: ''", "source_type: 4", "source_version: ''",
                     "start_time: 1700000000000", "status: 1", "tags: []", "user_id: 'ana'" })
            Assert.Contains(line + "\n", meta);
        Assert.Equal("first", File.ReadAllText(Path.Combine(folder, "tags", "mlflow.runName")));
        Assert.Equal("rl", File.ReadAllText(Path.Combine(folder, "tags", "team")));

        store.EndRun(experiment, run, RunState.Killed, 1_700_000_000_500);
        meta = File.ReadAllText(Path.Combine(folder, "meta.yaml"));
        Assert.Contains("status: 5\n", meta);
        Assert.Contains("end_time: 1700000000500\n", meta);
        store.Reopen(experiment, run);
        Assert.Contains("end_time: null\n", File.ReadAllText(Path.Combine(folder, "meta.yaml")));
    }

    [Fact]
    public void Params_metrics_and_nested_keys_use_mlflows_formats()
    {
        var store = new FileStore(_root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        store.LogParam(experiment, run, "learning_rate", "0.1");
        store.LogMetrics(experiment, run, [new("loss/td", 0.5, 1, 1000), new("loss/td", double.NaN, 2, 1001), new("q", double.PositiveInfinity, 0, 5), new("q", double.NegativeInfinity, 1, 6), new("q", 1e-7, 2, 7)]);
        string folder = store.RunDirectory(experiment, run);
        Assert.Equal("0.1", File.ReadAllText(Path.Combine(folder, "params", "learning_rate")));
        Assert.Equal("1000 0.5 1\n1001 nan 2\n", File.ReadAllText(Path.Combine(folder, "metrics", "loss", "td")));
        Assert.Equal("5 inf 0\n6 -inf 1\n7 1E-07 2\n", File.ReadAllText(Path.Combine(folder, "metrics", "q")));
        store.LogParam(experiment, run, "learning_rate", "0.1");
        Assert.Contains("cannot change", Assert.Throws<InvalidOperationException>(() => store.LogParam(experiment, run, "learning_rate", "0.2")).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("trailing/")]
    [InlineData(".")]
    [InlineData("bad*char")]
    [InlineData("a/../../b")]
    public void Keys_that_could_leave_the_run_folder_are_refused(string key)
    {
        var store = new FileStore(_root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        var error = Assert.Throws<ArgumentException>(() => store.LogParam(experiment, run, key, "x"));
        Assert.Contains("Invalid param key", error.Message);
        Assert.Throws<ArgumentException>(() => store.LogMetrics(experiment, run, [new(key, 1, 0, 0)]));
    }

    [Fact]
    public async Task Eight_runs_written_in_parallel_leave_one_experiment_and_well_formed_files()
    {
        var store = new FileStore(_root);
        var time = TimeProvider.System;
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (i, _) =>
        {
            var run = TrackedRun.Start(store, "parallel", $"run{i}", new Dictionary<string, string>(), time);
            run.LogParams(new Dictionary<string, string> { ["index"] = i.ToString() });
            for (int step = 0; step < 2000; step++) run.LogMetric("value", step * 0.5, step);
            Assert.Empty(await run.EndAsync(RunState.Finished));
        });
        string experiment = Assert.Single(Directory.GetDirectories(_root), d => File.Exists(Path.Combine(d, "meta.yaml")) && File.ReadAllText(Path.Combine(d, "meta.yaml")).Contains("name: 'parallel'"));
        var runs = Directory.GetDirectories(experiment);
        Assert.Equal(8, runs.Length);
        foreach (string run in runs)
        {
            string[] meta = File.ReadAllLines(Path.Combine(run, "meta.yaml"));
            Assert.Equal(15, meta.Length);
            Assert.Contains("status: 3", meta);
            string[] lines = File.ReadAllLines(Path.Combine(run, "metrics", "value"));
            Assert.Equal(2000, lines.Length);
            Assert.Equal(Enumerable.Range(0, 2000).Select(s => s.ToString()), lines.Select(l => l.Split(' ')[2]));
        }
    }
}

public class MetricSeriesTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"qforge-series-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_series_writes_every_point_in_order_across_blocks_and_allocates_nothing_per_point()
    {
        var store = new QForge.Tracking.FileStore(_root);
        var run = QForge.Tracking.TrackedRun.Start(store, "series", "run", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["return", "length"], blockSize: 100);
        double[] values = new double[2];
        for (int step = 0; step < 250; step++)
        {
            values[0] = step * 0.5;
            values[1] = step == 7 ? double.NaN : step;
            series.Add(step, values);
        }
        for (int step = 250; step < 10_200; step++) series.Add(step, values);
        // Within a block, adding is array stores only (a full block is handed over, and a recycled one reused).
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 10_200; step < 10_299; step++) series.Add(step, values);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        series.Add(10_299, values);
        Assert.Empty(await run.EndAsync(QForge.Tracking.RunState.Finished));
        string[] returns = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "return"));
        Assert.Equal(10_300, returns.Length);
        Assert.Equal(Enumerable.Range(0, 10_300).Select(s => s.ToString()), returns.Select(l => l.Split(' ')[2]));
        Assert.Equal("1.5", returns[3].Split(' ')[1]);
        Assert.Equal("nan", File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length"))[7].Split(' ')[1]);
    }
}
