using System.Globalization;
using System.Text.RegularExpressions;

namespace QForge.Tracking.Tests;

/// <summary>MLflow's file-store layout, exactly as shared/reference/mlflow.md describes it.</summary>
public sealed partial class FileStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private string Root => _temp.Combine("mlruns");

    public void Dispose() => _temp.Dispose();

    [GeneratedRegex(@"^-?\d+ (nan|inf|-inf|-?\d+(\.\d+)?(E[-+]\d+)?) -?\d+$")]
    private static partial Regex MetricLine();

    [Fact]
    public void A_new_root_gets_the_default_experiment_zero_and_a_trash_folder()
    {
        _ = new FileStore(Root);

        string[] meta = File.ReadAllLines(Path.Combine(Root, "0", "meta.yaml"));
        Assert.Equal(["artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"], meta.Select(l => l.Split(": ")[0]));
        Assert.Contains($"artifact_location: 'file://{Path.Combine(Root, "0")}'", meta);
        Assert.Contains("experiment_id: '0'", meta);
        Assert.Contains("lifecycle_stage: active", meta);
        Assert.Contains("name: 'Default'", meta);
        Assert.True(long.Parse(meta[1].Split(": ")[1], CultureInfo.InvariantCulture) > 1_600_000_000_000);
        Assert.True(Directory.Exists(Path.Combine(Root, ".trash")));
        Assert.Empty(Directory.GetFiles(Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_run_meta_yaml_has_every_key_with_strings_quoted_and_end_time_null_while_running()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("taxi");
        Assert.Matches("^[0-9]{18}$", experiment);
        string run = store.CreateRun(experiment, "it's first", new Dictionary<string, string> { ["team"] = "rl" }, 1_700_000_000_000, "ana");
        Assert.Matches("^[0-9a-f]{32}$", run);
        string folder = Path.Combine(Root, experiment, run);

        string expected =
            $"artifact_uri: 'file://{folder}/artifacts'\n" +
            "end_time: null\n" +
            "entry_point_name: ''\n" +
            $"experiment_id: '{experiment}'\n" +
            "lifecycle_stage: active\n" +
            $"run_id: '{run}'\n" +
            "run_name: 'it''s first'\n" +
            $"run_uuid: '{run}'\n" +
            "source_name: ''\n" +
            "source_type: 4\n" +
            "source_version: ''\n" +
            "start_time: 1700000000000\n" +
            "status: 1\n" +
            "tags: []\n" +
            "user_id: 'ana'\n";
        Assert.Equal(expected, File.ReadAllText(Path.Combine(folder, "meta.yaml")));
        Assert.All(new[] { "metrics", "params", "tags", "artifacts" }, d => Assert.True(Directory.Exists(Path.Combine(folder, d)), d));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "metrics")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "artifacts")));
        Assert.Equal("it's first", File.ReadAllText(Path.Combine(folder, "tags", "mlflow.runName")));
        Assert.Equal("rl", File.ReadAllText(Path.Combine(folder, "tags", "team")));
    }

    [Fact]
    public void A_running_run_has_an_empty_file_ready_for_its_next_meta_yaml_and_ending_uses_it_up()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 1_000, "ana");
        string folder = store.RunDirectory(experiment, run), next = Path.Combine(folder, FileStore.NextRunMetaFile);
        Assert.Equal(0, new FileInfo(next).Length);

        store.EndRun(experiment, run, RunState.Finished, 2_000);

        Assert.False(File.Exists(next));
        Assert.Contains("status: 3", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
        store.Reopen(experiment, run);
        Assert.Equal(0, new FileInfo(next).Length);
        Assert.Contains("status: 1", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("left half-written by a crash")]
    public void Ending_a_run_whose_prepared_file_is_unusable_writes_meta_yaml_through_a_new_temporary_file(string state)
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 1_000, "ana");
        string folder = store.RunDirectory(experiment, run), next = Path.Combine(folder, FileStore.NextRunMetaFile);
        if (state == "missing") File.Delete(next);
        else File.WriteAllText(next, "artifact_uri: 'file:///x'\nend_ti");

        store.EndRun(experiment, run, RunState.Failed, 2_000);

        string[] meta = File.ReadAllLines(Path.Combine(folder, "meta.yaml"));
        Assert.Equal(15, meta.Length);
        Assert.Contains("status: 4", meta);
        Assert.Contains("end_time: 2000", meta);
        Assert.Contains("run_name: 'r'", meta);
        Assert.Empty(Directory.GetFiles(Root, "*.tmp", SearchOption.AllDirectories));
        Assert.False(File.Exists(next));
    }

    [Fact]
    public void Reserving_a_run_checks_everything_and_writes_nothing_until_it_is_completed()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        Assert.Throws<ArgumentException>(() => store.ReserveRun(experiment, "r", new Dictionary<string, string> { ["bad key!"] = "v" }, "ana"));
        Assert.Throws<ArgumentException>(() => store.ReserveRun("123", "r", new Dictionary<string, string>(), "ana"));
        string run = store.ReserveRun(experiment, "r", new Dictionary<string, string>(), "ana");
        Assert.Empty(Directory.GetDirectories(Path.Combine(Root, experiment)));

        store.CompleteRun(experiment, run, "r", new Dictionary<string, string>(), 1_000, "ana");

        Assert.Contains("status: 1", File.ReadAllLines(Path.Combine(store.RunDirectory(experiment, run), "meta.yaml")));
        Assert.All(new[] { "metrics", "params", "tags", "artifacts" }, d => Assert.True(Directory.Exists(Path.Combine(store.RunDirectory(experiment, run), d)), d));
    }

    [Fact]
    public void Ending_a_run_rewrites_meta_yaml_atomically_with_status_and_end_time()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 1_000, "");

        store.EndRun(experiment, run, RunState.Killed, 2_500);

        string folder = store.RunDirectory(experiment, run);
        string[] meta = File.ReadAllLines(Path.Combine(folder, "meta.yaml"));
        Assert.Equal(15, meta.Length);
        Assert.Contains("status: 5", meta);
        Assert.Contains("end_time: 2500", meta);
        Assert.Contains("start_time: 1000", meta);
        Assert.Contains("user_id: ''", meta);
        Assert.Empty(Directory.GetFiles(Root, "*.tmp", SearchOption.AllDirectories));
        store.Reopen(experiment, run);
        Assert.Contains("end_time: null", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
        Assert.Contains("status: 1", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
    }

    [Fact]
    public void Metrics_params_and_tags_use_mlflows_formats_and_nested_keys_become_folders()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        store.LogParam(experiment, run, "optimizer/learning_rate", "0.001");
        store.SetTag(experiment, run, "note", "line one\nline two");
        store.LogMetrics(experiment, run,
        [
            new("loss/td", 0.5, 1, 1000), new("loss/td", double.NaN, 2, 1001),
            new("q", double.PositiveInfinity, 0, 5), new("q", double.NegativeInfinity, 1, 6), new("q", 1e-7, 2, 7), new("q", -3, -1, 8),
        ]);

        string folder = store.RunDirectory(experiment, run);
        Assert.Equal("0.001", File.ReadAllText(Path.Combine(folder, "params", "optimizer", "learning_rate")));
        Assert.Equal("line one\nline two", File.ReadAllText(Path.Combine(folder, "tags", "note")));
        Assert.Equal("1000 0.5 1\n1001 nan 2\n", File.ReadAllText(Path.Combine(folder, "metrics", "loss", "td")));
        Assert.Equal("5 inf 0\n6 -inf 1\n7 1E-07 2\n8 -3 -1\n", File.ReadAllText(Path.Combine(folder, "metrics", "q")));
        // Every spelling is one Python's float() reads back.
        Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, 1e-7, -3], File.ReadAllLines(Path.Combine(folder, "metrics", "q")).Select(l => FileStore.ParseValue(l.Split(' ')[1])));
    }

    [Fact]
    public void A_param_logged_again_must_keep_its_value()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        store.LogParam(experiment, run, "gamma", "0.99");
        store.LogParam(experiment, run, "gamma", "0.99");

        var conflict = Assert.Throws<InvalidOperationException>(() => store.LogParam(experiment, run, "gamma", "0.9"));

        Assert.Contains("'gamma'", conflict.Message);
        Assert.Contains("cannot change", conflict.Message);
        Assert.Equal("0.99", File.ReadAllText(Path.Combine(store.RunDirectory(experiment, run), "params", "gamma")));
    }

    [Fact]
    public async Task A_refused_batch_writes_nothing()
    {
        ITrackingStore store = new FileStore(Root);
        string experiment = await store.GetOrCreateExperimentAsync("e");
        var run = await store.StartRunAsync(experiment, "r", new Dictionary<string, string>(), 0);
        await store.LogParamsAsync(run, new Dictionary<string, string> { ["gamma"] = "0.99" });

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.LogBatchAsync(run, [new("loss", 1, 0, 0)], [new("alpha", "1"), new("gamma", "0.5")], [new("t", "v")]));

        string folder = Path.Combine(Root, experiment, run.RunId);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "metrics")));
        Assert.False(File.Exists(Path.Combine(folder, "params", "alpha")));
        Assert.False(File.Exists(Path.Combine(folder, "tags", "t")));
    }

    [Fact]
    public async Task The_store_contract_sets_the_parent_tag_user_and_artifact_uri()
    {
        ITrackingStore store = new FileStore(Root);
        string experiment = await store.GetOrCreateExperimentAsync("sweep");
        var parent = await store.StartRunAsync(experiment, "sweep", new Dictionary<string, string> { ["mlflow.user"] = "bo" }, 10);
        var child = await store.StartRunAsync(experiment, "trial-0", new Dictionary<string, string>(), 11, parentRunId: parent.RunId);
        string file = _temp.Combine("q.bin");
        await File.WriteAllBytesAsync(file, [1, 2, 3]);
        await store.LogArtifactAsync(child, file, "models/q.bin");
        await store.EndRunAsync(child, RunState.Failed, 20);

        string folder = Path.Combine(Root, experiment, child.RunId);
        Assert.Equal(parent.RunId, File.ReadAllText(Path.Combine(folder, "tags", "mlflow.parentRunId")));
        Assert.Contains("user_id: 'bo'", File.ReadAllLines(Path.Combine(Root, experiment, parent.RunId, "meta.yaml")));
        Assert.Equal(new Uri(Path.Combine(folder, "artifacts")).AbsoluteUri, child.ArtifactUri);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(folder, "artifacts", "models", "q.bin")));
        Assert.Contains("status: 4", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
        Assert.Contains("end_time: 20", File.ReadAllLines(Path.Combine(folder, "meta.yaml")));
    }

    [Fact]
    public async Task Sixteen_concurrent_get_or_creates_of_one_name_make_one_experiment_folder()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => new FileStore(Root).GetOrCreateExperiment("shared"))));

        Assert.Single(ids.Distinct());
        Assert.Single(Directory.GetDirectories(Root), d => File.Exists(Path.Combine(d, "meta.yaml")) && File.ReadAllText(Path.Combine(d, "meta.yaml")).Contains("name: 'shared'\n"));
    }

    [Fact]
    public void Writers_that_raced_across_processes_settle_on_the_oldest_experiment()
    {
        var store = new FileStore(Root);
        string first = store.GetOrCreateExperiment("raced");
        // What another machine on a shared disk, not sharing the mutex, leaves when it creates the same name at once.
        string rival = Path.Combine(Root, "123456789012345678");
        Directory.CreateDirectory(rival);
        File.WriteAllText(Path.Combine(rival, "meta.yaml"),
            $"artifact_location: 'file://{rival}'\ncreation_time: 1000\nexperiment_id: '123456789012345678'\nlast_update_time: 1000\nlifecycle_stage: active\nname: 'raced'\n");

        Assert.Equal("123456789012345678", store.GetOrCreateExperiment("raced"));
        Assert.Equal("123456789012345678", new FileStore(Root).GetOrCreateExperiment("raced"));
        Assert.NotEqual(first, store.GetOrCreateExperiment("raced"));
    }

    [Fact]
    public async Task Eight_runs_written_in_parallel_into_one_root_leave_well_formed_files()
    {
        var store = new FileStore(Root);
        string artifact = _temp.Combine("config.json");
        await File.WriteAllTextAsync(artifact, "{}");

        await Parallel.ForEachAsync(Enumerable.Range(0, 8), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var run = TrackedRun.Start(store, "parallel", $"run{i}", new Dictionary<string, string> { ["worker"] = i.ToString(CultureInfo.InvariantCulture) }, TimeProvider.System);
            run.LogParams(new Dictionary<string, string> { ["index"] = i.ToString(CultureInfo.InvariantCulture), ["nested/alpha"] = "0.5" });
            var series = run.CreateSeries(["episode/return", "epsilon"], blockSize: 128);
            for (int step = 0; step < 1500; step++)
            {
                run.LogMetric("loss", step % 7 == 0 ? double.NaN : step * 0.25, step);
                series.Add(step, [step, 1.0 / (step + 1)]);
            }
            run.SetTag("done", "yes");
            run.LogArtifact(artifact, "config/config.json");
            Assert.Empty(await run.EndAsync(RunState.Finished));
        });

        var experiments = Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, "meta.yaml")) && File.ReadAllText(Path.Combine(d, "meta.yaml")).Contains("name: 'parallel'\n")).ToList();
        string experiment = Assert.Single(experiments);
        var runs = Directory.GetDirectories(experiment);
        Assert.Equal(8, runs.Length);
        Assert.Equal(8, runs.Select(r => File.ReadAllText(Path.Combine(r, "tags", "worker"))).Distinct().Count());
        foreach (string run in runs)
        {
            string[] meta = File.ReadAllLines(Path.Combine(run, "meta.yaml"));
            Assert.Equal(["artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id", "run_name", "run_uuid",
                "source_name", "source_type", "source_version", "start_time", "status", "tags", "user_id"], meta.Select(l => l.Split(": ")[0]));
            Assert.Contains("status: 3", meta);
            Assert.DoesNotContain("end_time: null", meta);
            Assert.Contains($"run_id: '{Path.GetFileName(run)}'", meta);
            foreach (string key in new[] { "loss", Path.Combine("episode", "return"), "epsilon" })
            {
                string text = File.ReadAllText(Path.Combine(run, "metrics", key));
                Assert.EndsWith("\n", text);
                string[] lines = text.TrimEnd('\n').Split('\n');
                Assert.Equal(1500, lines.Length);
                Assert.All(lines, line => Assert.Matches(MetricLine(), line));
                Assert.Equal(Enumerable.Range(0, 1500).Select(s => s.ToString(CultureInfo.InvariantCulture)), lines.Select(l => l.Split(' ')[2]));
            }
            Assert.Equal("0.5", File.ReadAllText(Path.Combine(run, "params", "nested", "alpha")));
            Assert.Equal("yes", File.ReadAllText(Path.Combine(run, "tags", "done")));
            Assert.Equal("{}", File.ReadAllText(Path.Combine(run, "artifacts", "config", "config.json")));
        }
        Assert.Empty(Directory.GetFiles(Root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Ids_that_could_leave_the_store_are_refused()
    {
        var store = new FileStore(Root);
        Assert.Throws<ArgumentException>(() => store.RunDirectory("0", "../x"));
        Assert.Throws<ArgumentException>(() => store.RunDirectory("..", "abc"));
        Assert.Throws<ArgumentException>(() => store.RunDirectory("", "abc"));
        Assert.Throws<ArgumentException>(() => store.CreateRun("42", "r", new Dictionary<string, string>(), 0, ""));
        Assert.Throws<ArgumentException>(() => store.GetOrCreateExperiment(""));
        Assert.Throws<ArgumentException>(() => store.GetOrCreateExperiment(new string('x', 501)));
        Assert.Throws<ArgumentException>(() => store.GetOrCreateExperiment("two\nlines"));
    }

    [Fact]
    public void Values_longer_than_mlflow_keeps_are_refused_not_cut()
    {
        var store = new FileStore(Root);
        string experiment = store.GetOrCreateExperiment("e");
        string run = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");

        Assert.Contains("6000", Assert.Throws<ArgumentException>(() => store.LogParam(experiment, run, "p", new string('x', 6001))).Message);
        Assert.Contains("8000", Assert.Throws<ArgumentException>(() => store.SetTag(experiment, run, "t", new string('x', 8001))).Message);
        store.LogParam(experiment, run, "p", new string('x', 6000));
        store.SetTag(experiment, run, "t", new string('x', 8000));
    }
}
