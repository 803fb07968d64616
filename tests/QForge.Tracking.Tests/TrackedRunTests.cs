using System.Globalization;

namespace QForge.Tracking.Tests;

/// <summary>The run writer: logging off the training thread, draining, ending with a status, surviving a server that goes away.</summary>
public sealed class TrackedRunTests : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    private FakeMlflowServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeMlflowServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private string SpoolRoot => _temp.Combine("spool");

    private static RestStoreOptions Retries(int maxRetries) => new()
    {
        MaxRetries = maxRetries,
        BackoffFactor = TimeSpan.FromMilliseconds(20),
        BackoffCap = TimeSpan.FromMilliseconds(150),
        BackoffJitter = TimeSpan.FromMilliseconds(10),
        RequestTimeout = TimeSpan.FromSeconds(5),
    };

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition(), "timed out waiting");
    }

    [Fact]
    public async Task A_server_that_goes_away_mid_run_and_comes_back_gets_every_metric_exactly_once_in_order()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 40));
        var run = await TrackedRun.StartAsync(store, "restart", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        run.LogParams(new Dictionary<string, string> { ["gamma"] = "0.99" });
        int receivedWhenStopped = 0;
        for (int step = 0; step < 600; step++)
        {
            run.LogMetric("return", step * 0.5, step);
            if (step % 3 == 0) run.LogMetric("epsilon", 1.0 / (step + 1), step);
            if (step == 150) _server.State.Fail("runs/log-batch", 2, 503);
            if (step == 300)
            {
                await WaitUntil(() => _server.State.Metrics(run.RunId, "return").Count > 200);
                await _server.StopAsync();
                receivedWhenStopped = _server.State.Metrics(run.RunId, "return").Count;
            }
            if (step == 450)
            {
                await Task.Delay(400); // the writer is retrying against a closed port meanwhile
                await _server.RestartAsync();
            }
            if (step % 50 == 0) await Task.Delay(5);
        }

        var problems = await run.EndAsync(RunState.Finished);

        Assert.Empty(problems);
        Assert.Equal(TrackingDelivery.Delivered, run.Delivery);
        Assert.Null(run.SpoolDirectory);
        Assert.InRange(receivedWhenStopped, 201, 599);
        Assert.Equal(Enumerable.Range(0, 600).Select(s => (long)s), _server.State.Metrics(run.RunId, "return").Select(m => m.Step));
        Assert.Equal(Enumerable.Range(0, 600).Select(s => s * 0.5), _server.State.Metrics(run.RunId, "return").Select(m => m.Value));
        Assert.Equal(Enumerable.Range(0, 200).Select(s => (long)s * 3), _server.State.Metrics(run.RunId, "epsilon").Select(m => m.Step));
        Assert.Equal("FINISHED", _server.State.Runs[run.RunId].Status);
        Assert.Contains(503, _server.State.Requests.Select(r => r.Status));
        Assert.False(Directory.Exists(SpoolRoot));
    }

    [Fact]
    public async Task When_the_server_stays_unreachable_nothing_is_lost_the_rest_is_spooled_and_push_completes_the_remote_run()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 2));
        var run = await TrackedRun.StartAsync(store, "spool", "trial", new Dictionary<string, string> { ["team"] = "rl" }, new TrackedRunOptions { SpoolRoot = SpoolRoot });
        run.LogParams(new Dictionary<string, string> { ["alpha"] = "0.1" });
        for (int step = 0; step < 50; step++) run.LogMetric("return", step, step);
        await WaitUntil(() => _server.State.Metrics(run.RunId, "return").Count == 50);
        await _server.StopAsync();
        for (int step = 50; step < 120; step++) run.LogMetric("return", step, step);
        run.LogParams(new Dictionary<string, string> { ["beta"] = "2" });
        run.SetTag("phase", "after the outage");
        string artifact = _temp.Combine("summary.json");
        await File.WriteAllTextAsync(artifact, "{\"return\": 119}");
        run.LogArtifact(artifact, "eval/summary.json");

        var problems = await run.EndAsync(RunState.Finished);

        Assert.Equal(TrackingDelivery.Spooled, run.Delivery);
        string spool = Assert.IsType<string>(run.SpoolDirectory);
        Assert.StartsWith(SpoolRoot, spool);
        Assert.Contains(problems, p => p.Contains(spool) && p.Contains("could not be reached"));
        Assert.Equal(50, _server.State.Metrics(run.RunId, "return").Count);
        string[] meta = File.ReadAllLines(Path.Combine(spool, "meta.yaml"));
        Assert.Contains("status: 3", meta);
        Assert.Contains("run_name: 'trial'", meta);
        Assert.Equal("0.1", File.ReadAllText(Path.Combine(spool, "params", "alpha")));
        Assert.Equal("2", File.ReadAllText(Path.Combine(spool, "params", "beta")));
        Assert.Equal("rl", File.ReadAllText(Path.Combine(spool, "tags", "team")));
        Assert.Equal(run.RunId, File.ReadAllText(Path.Combine(spool, "tags", "qforge.remote_run_id")));
        var spooledSteps = File.ReadAllLines(Path.Combine(spool, "metrics", "return")).Select(l => long.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, 120).Select(s => (long)s), _server.State.Metrics(run.RunId, "return").Select(m => m.Step).Union(spooledSteps).Order());
        Assert.Equal("RUNNING", _server.State.Runs[run.RunId].Status);

        await _server.RestartAsync();
        using var pusher = new RestStore(_server.Uri, Retries(maxRetries: 2));
        var pushed = await pusher.PushAsync(spool);
        var again = await pusher.PushAsync(spool);

        Assert.Equal(run.RunId, pushed.RemoteRunId);
        Assert.False(pushed.CreatedRemoteRun);
        var remote = _server.State.Runs[run.RunId];
        Assert.Equal(Enumerable.Range(0, 120).Select(s => (long)s), _server.State.Metrics(run.RunId, "return").Select(m => m.Step));
        Assert.Equal("FINISHED", remote.Status);
        Assert.Equal("2", remote.Params["beta"]);
        Assert.Equal("after the outage", remote.Tags["phase"]);
        Assert.False(remote.Tags.ContainsKey("qforge.remote_run_id"));
        Assert.Equal("{\"return\": 119}"u8.ToArray(), remote.Artifacts["eval/summary.json"]);
        Assert.Equal((run.RunId, 0, 0), (again.RemoteRunId, again.MetricsSent, again.ParamsSent));
        Assert.Single(_server.State.Runs);
    }

    [Fact]
    public async Task A_finished_server_run_is_resumed_in_place_and_logs_more()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 3));
        var first = await TrackedRun.StartAsync(store, "resume", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        first.LogParams(new Dictionary<string, string> { ["seed"] = "7" });
        first.LogMetric("loss", 1, 0);
        Assert.Empty(await first.EndAsync(RunState.Killed));
        Assert.Equal("KILLED", _server.State.Runs[first.RunId].Status);

        var resumed = await TrackedRun.ResumeAsync(store, first.RunId, "resume", new TrackedRunOptions { SpoolRoot = SpoolRoot });
        Assert.Equal(first.RunId, resumed.RunId);
        Assert.Equal("RUNNING", _server.State.Runs[first.RunId].Status);
        resumed.LogParams(new Dictionary<string, string> { ["seed"] = "7" }); // the same value again is no conflict
        resumed.LogMetric("loss", 0.5, 1);
        Assert.Empty(await resumed.EndAsync(RunState.Finished));

        var remote = Assert.Single(_server.State.Runs.Values);
        Assert.Equal("FINISHED", remote.Status);
        Assert.Equal([0L, 1], remote.Metrics.Select(m => m.Step));
        Assert.False(Directory.Exists(SpoolRoot));
    }

    [Fact]
    public async Task Resuming_a_missing_or_deleted_server_run_is_a_clear_error_and_an_unreachable_server_spools()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 1));
        var missing = await Assert.ThrowsAsync<TrackingException>(() => TrackedRun.ResumeAsync(store, "0123456789abcdef0123456789abcdef", "x", new TrackedRunOptions { SpoolRoot = SpoolRoot }));
        Assert.False(missing.IsTransient);
        Assert.Contains("0123456789abcdef0123456789abcdef", missing.Message);

        var run = await TrackedRun.StartAsync(store, "deleted", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        await run.EndAsync(RunState.Finished);
        _server.State.Runs[run.RunId].LifecycleStage = "deleted";
        var deleted = await Assert.ThrowsAsync<TrackingException>(() => TrackedRun.ResumeAsync(store, run.RunId, "x", new TrackedRunOptions { SpoolRoot = SpoolRoot }));
        Assert.Contains($"Run '{run.RunId}' is deleted on", deleted.Message);
        Assert.Contains("mlflow runs restore", deleted.Message);

        await _server.StopAsync();
        var offline = await TrackedRun.ResumeAsync(store, run.RunId, "offline", new TrackedRunOptions { SpoolRoot = SpoolRoot });
        offline.LogMetric("loss", 2, 5);
        await offline.EndAsync(RunState.Finished);
        Assert.Equal(TrackingDelivery.Spooled, offline.Delivery);
        Assert.Equal(run.RunId, File.ReadAllText(Path.Combine(offline.Directory, "tags", "qforge.resumed_from")));
    }

    [Fact]
    public async Task A_run_starts_in_the_experiment_given_by_id_without_looking_up_the_name()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 1));
        string id = await store.GetOrCreateExperimentAsync("by-id");
        int lookups = _server.State.Requests.Count(r => r.Endpoint.StartsWith("experiments/", StringComparison.Ordinal));
        var run = await TrackedRun.StartAsync(store, "ignored-name", "r", new Dictionary<string, string>(), new TrackedRunOptions { ExperimentId = id, SpoolRoot = SpoolRoot });
        await run.EndAsync(RunState.Finished);
        Assert.Equal(id, run.ExperimentId);
        Assert.Equal(lookups, _server.State.Requests.Count(r => r.Endpoint.StartsWith("experiments/", StringComparison.Ordinal)));
        Assert.DoesNotContain(_server.State.Experiments, e => e.Name == "ignored-name");
    }

    [Fact]
    public async Task A_file_store_run_is_resumed_in_place()
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        var first = await TrackedRun.StartAsync(store, "local", "r", new Dictionary<string, string>());
        first.LogMetric("loss", 1, 0);
        await first.EndAsync(RunState.Killed);

        var resumed = await TrackedRun.ResumeAsync(store, first.RunId, "local");
        string meta = File.ReadAllText(Path.Combine(first.Directory, "meta.yaml"));
        Assert.Contains("status: 1\n", meta);
        Assert.Contains("end_time: null", meta);
        resumed.LogMetric("loss", 0.5, 1);
        await resumed.EndAsync(RunState.Finished);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(first.Directory, "metrics", "loss")).Length);
        Assert.Contains("status: 3\n", File.ReadAllText(Path.Combine(first.Directory, "meta.yaml")));

        var missing = await Assert.ThrowsAsync<TrackingException>(() => TrackedRun.ResumeAsync(store, "0123456789abcdef0123456789abcdef", "local"));
        Assert.Contains("Run '0123456789abcdef0123456789abcdef' does not exist in the file store", missing.Message);
    }

    [Fact]
    public async Task A_server_unreachable_from_the_start_gives_a_spooled_run_that_push_creates_once()
    {
        await _server.StopAsync();
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 1));

        var run = await TrackedRun.StartAsync(store, "offline", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        run.LogParams(new Dictionary<string, string> { ["seed"] = "7" });
        for (int step = 0; step < 10; step++) run.LogMetric("loss", 1.0 / (step + 1), step);
        var problems = await run.EndAsync(RunState.Failed);

        Assert.Equal(TrackingDelivery.Spooled, run.Delivery);
        Assert.Equal(run.SpoolDirectory, run.Directory);
        Assert.Single(problems);
        Assert.Contains("status: 4", File.ReadAllLines(Path.Combine(run.Directory, "meta.yaml")));
        Assert.Equal(10, File.ReadAllLines(Path.Combine(run.Directory, "metrics", "loss")).Length);

        await _server.RestartAsync();
        var pushed = await store.PushAsync(run.Directory);
        await store.PushAsync(run.Directory);

        Assert.True(pushed.CreatedRemoteRun);
        var remote = _server.State.SingleRun("offline");
        Assert.Equal(pushed.RemoteRunId, remote.RunId);
        Assert.Equal("FAILED", remote.Status);
        Assert.Equal(10, remote.Metrics.Count);
        Assert.Equal("7", remote.Params["seed"]);
    }

    [Fact]
    public async Task A_param_conflict_is_reported_without_retrying_and_costs_no_metrics()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 3));
        _server.State.ParamConflictStatus = 500;
        var run = await TrackedRun.StartAsync(store, "conflict", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        run.LogParams(new Dictionary<string, string> { ["lr"] = "0.1" });
        await WaitUntil(() => _server.State.SingleRun("conflict").Params.Count == 1);

        run.LogParams(new Dictionary<string, string> { ["lr"] = "0.2", ["batch"] = "32" });
        for (int step = 0; step < 20; step++) run.LogMetric("loss", step, step);
        var problems = await run.EndAsync(RunState.Finished);

        Assert.Equal(TrackingDelivery.Incomplete, run.Delivery);
        Assert.Contains(problems, p => p.Contains("param 'lr'") && p.Contains("cannot change"));
        var remote = _server.State.SingleRun("conflict");
        Assert.Equal("0.1", remote.Params["lr"]);
        Assert.Equal("32", remote.Params["batch"]);
        Assert.Equal(20, remote.Metrics.Count);
        Assert.Equal("FINISHED", remote.Status);
        // Refused once as a batch, then the params one by one so that 'batch' still lands: no request is ever repeated.
        var refused = _server.State.Requests.Where(r => r.Status == 500).Select(r => r.LogBatchBody).ToList();
        Assert.Equal(2, refused.Count);
        Assert.Equal(refused.Count, refused.Distinct().Count());
        Assert.Null(run.SpoolDirectory);
    }

    [Fact]
    public async Task A_metric_series_reaches_a_server_in_order()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 2));
        var run = await TrackedRun.StartAsync(store, "series", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        var series = run.CreateSeries(["episode_return", "episode_length"], blockSize: 64);
        for (int episode = 0; episode < 1000; episode++) series.Add(episode, [episode * 2.0, episode == 5 ? double.NaN : episode]);

        Assert.Empty(await run.EndAsync(RunState.Finished));

        Assert.Equal(Enumerable.Range(0, 1000).Select(e => e * 2.0), _server.State.Metrics(run.RunId, "episode_return").Select(m => m.Value));
        Assert.True(double.IsNaN(_server.State.Metrics(run.RunId, "episode_length")[5].Value));
    }

    [Fact]
    public async Task Disposing_a_run_that_was_not_ended_ends_it_failed()
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        string directory;
        await using (var run = TrackedRun.Start(store, "e", "abandoned", new Dictionary<string, string>(), TimeProvider.System))
        {
            run.LogMetric("loss", 1, 0);
            directory = run.Directory;
        }

        string[] meta = File.ReadAllLines(Path.Combine(directory, "meta.yaml"));
        Assert.Contains("status: 4", meta);
        Assert.DoesNotContain("end_time: null", meta);
        Assert.Single(File.ReadAllLines(Path.Combine(directory, "metrics", "loss")));
    }

    [Fact]
    public async Task A_run_ended_at_once_whether_or_not_its_writer_has_run_yet_has_its_folders_tags_params_and_every_value()
    {
        // The end writes what is left on the caller's thread; the writer's first job (the run's folders, meta.yaml and
        // tags) may still be waiting for a thread, so the end does it first. Either order gives the same run.
        var store = new FileStore(_temp.Combine("mlruns"));
        for (int attempt = 0; attempt < 40; attempt++)
        {
            var run = TrackedRun.Start(store, "e", $"r{attempt}", new Dictionary<string, string> { ["team"] = "rl" }, TimeProvider.System);
            run.LogParams(new Dictionary<string, string> { ["lr"] = "0.1" });
            var series = run.CreateSeries(["return", "length"], blockSize: 64);
            for (int step = 0; step < 100; step++) series.Add(step, [step * 0.5, step]);

            Assert.Empty(await run.EndAsync(RunState.Finished));

            string[] meta = File.ReadAllLines(Path.Combine(run.Directory, "meta.yaml"));
            Assert.Contains("status: 3", meta);
            Assert.Contains($"run_name: 'r{attempt}'", meta);
            Assert.Equal("rl", File.ReadAllText(Path.Combine(run.Directory, "tags", "team")));
            Assert.Equal($"r{attempt}", File.ReadAllText(Path.Combine(run.Directory, "tags", "mlflow.runName")));
            Assert.Equal("0.1", File.ReadAllText(Path.Combine(run.Directory, "params", "lr")));
            Assert.Equal(Enumerable.Range(0, 100).Select(s => s.ToString(CultureInfo.InvariantCulture)),
                File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length")).Select(line => line.Split(' ')[2]));
            Assert.Equal(Enumerable.Range(0, 100).Select(s => (s * 0.5).ToString("R", CultureInfo.InvariantCulture)),
                File.ReadAllLines(Path.Combine(run.Directory, "metrics", "return")).Select(line => line.Split(' ')[1]));
            Assert.Equal(TrackingDelivery.Delivered, run.Delivery);
        }
    }

    [Fact]
    public async Task Ending_while_the_writer_is_busy_waits_for_it_and_then_writes_the_rest_in_order()
    {
        string big = _temp.Combine("big.bin");
        await File.WriteAllBytesAsync(big, new byte[64 << 20]);
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "e", "r", new Dictionary<string, string>(), TimeProvider.System);
        run.LogArtifact(big, "big.bin");
        for (int step = 0; step < 3000; step++) run.LogMetric("loss", step, step);

        Assert.Empty(await run.EndAsync(RunState.Finished));

        Assert.Equal(64 << 20, new FileInfo(Path.Combine(run.Directory, "artifacts", "big.bin")).Length);
        Assert.Equal(Enumerable.Range(0, 3000).Select(s => s.ToString(CultureInfo.InvariantCulture)),
            File.ReadAllLines(Path.Combine(run.Directory, "metrics", "loss")).Select(line => line.Split(' ')[2]));
        Assert.Contains("status: 3", File.ReadAllLines(Path.Combine(run.Directory, "meta.yaml")));
    }

    [Fact]
    public async Task A_run_renamed_in_mlflow_while_it_runs_keeps_its_new_name_when_it_ends()
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "e", "first", new Dictionary<string, string>(), TimeProvider.System);
        string meta = Path.Combine(run.Directory, "meta.yaml");
        await WaitUntil(() => File.Exists(meta));
        // What MLflow's UI does on a rename: meta.yaml's run_name and the mlflow.runName tag.
        File.WriteAllText(meta, File.ReadAllText(meta).Replace("run_name: 'first'", "run_name: 'second'"));

        Assert.Empty(await run.EndAsync(RunState.Finished));

        Assert.Contains("run_name: 'second'", File.ReadAllLines(meta));
        Assert.Contains("status: 3", File.ReadAllLines(meta));
    }

    [LinuxFact]
    public async Task Ended_runs_leave_none_of_their_files_open()
    {
        // The end closes the meta.yaml it replaces on a pool thread (see FileStore.EndRun), soon: a sweep of thousands
        // of runs must not hold a descriptor per run.
        string root = _temp.Combine("mlruns");
        for (int i = 0; i < 20; i++)
        {
            var run = TrackedRun.Start(new FileStore(root), "e", $"r{i}", new Dictionary<string, string>(), TimeProvider.System);
            var series = run.CreateSeries(["a", "b"], blockSize: 4);
            for (int step = 0; step < 10; step++) series.Add(step, [step, -step]);
            Assert.Empty(await run.EndAsync(RunState.Finished));
            Assert.Contains("status: 3", File.ReadAllLines(Path.Combine(run.Directory, "meta.yaml")));
        }
        await WaitUntil(() => OpenFilesUnder(root).Count == 0);
    }

    /// <summary>The files under <paramref name="root"/> this process holds open (Linux: the targets of /proc/self/fd).</summary>
    private static List<string> OpenFilesUnder(string root) =>
        Directory.GetFiles("/proc/self/fd")
            .Select(descriptor =>
            {
                try
                {
                    return new FileInfo(descriptor).LinkTarget;
                }
                catch (IOException)
                {
                    return null; // closed meanwhile
                }
            })
            .OfType<string>()
            .Where(target => target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToList();

    [Fact]
    public void A_run_name_longer_than_mlflow_keeps_is_refused_at_the_start()
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        var refused = Assert.Throws<ArgumentException>(() => TrackedRun.Start(store, "e", new string('r', 9000), new Dictionary<string, string>(), TimeProvider.System));
        Assert.Contains("9000", refused.Message);
    }

    [Fact]
    public async Task Logging_after_the_end_is_refused_and_ending_twice_returns_the_same_answer()
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "e", "r", new Dictionary<string, string>(), TimeProvider.System);
        var first = await run.EndAsync(RunState.Finished);

        Assert.Throws<InvalidOperationException>(() => run.LogMetric("loss", 1, 0));
        Assert.Same(first, await run.EndAsync(RunState.Killed));
        Assert.Contains("status: 3", File.ReadAllLines(Path.Combine(run.Directory, "meta.yaml")));
        Assert.Equal(TrackingDelivery.Delivered, run.Delivery);
    }

    [Fact]
    public async Task An_overlong_tag_is_shortened_and_the_caller_is_told()
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "e", "r", new Dictionary<string, string>(), TimeProvider.System);
        run.SetTag("qforge.error", new string('e', 9000));

        var problems = await run.EndAsync(RunState.Failed);

        Assert.Contains(problems, p => p.Contains("'qforge.error'") && p.Contains("9000") && p.Contains("8000"));
        Assert.Equal(8000, File.ReadAllText(Path.Combine(run.Directory, "tags", "qforge.error")).Length);
    }

    [Fact]
    public async Task Logging_never_waits_for_the_store()
    {
        using var store = new RestStore(_server.Uri, Retries(maxRetries: 2));
        var run = await TrackedRun.StartAsync(store, "slow", "r", new Dictionary<string, string>(), new TrackedRunOptions { SpoolRoot = SpoolRoot });
        _server.State.Fail("runs/log-batch", 1, 503, delay: TimeSpan.FromSeconds(1));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; step < 5000; step++) run.LogMetric("loss", step, step);
        var logging = watch.Elapsed;
        await run.EndAsync(RunState.Finished);

        Assert.True(logging < TimeSpan.FromMilliseconds(500), $"logging 5000 values took {logging.TotalMilliseconds} ms");
        Assert.Equal(5000, _server.State.Metrics(run.RunId, "loss").Count);
    }
}
