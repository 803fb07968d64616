namespace QForge.Tracking.Tests;

/// <summary>Pushing a local file-store run to a tracking server, idempotently.</summary>
public sealed class PushTests : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    private FakeMlflowServer _server = null!;
    private RestStore _remote = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeMlflowServer.StartAsync();
        _remote = new RestStore(_server.Uri, new RestStoreOptions { MaxRetries = 2, BackoffFactor = TimeSpan.FromMilliseconds(10), BackoffJitter = TimeSpan.Zero });
    }

    public async Task DisposeAsync()
    {
        _remote.Dispose();
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private FileStore Local => new(_temp.Combine("mlruns"));

    private async Task<TrackedRun> LocalRunAsync(string experiment = "offline", string? parent = null)
    {
        var tags = new Dictionary<string, string> { ["mlflow.user"] = "ana", ["mlflow.source.type"] = "LOCAL" };
        if (parent is not null) tags["mlflow.parentRunId"] = parent;
        var run = TrackedRun.Start(Local, experiment, "trial-1", tags, TimeProvider.System);
        run.LogParams(new Dictionary<string, string> { ["alpha"] = "0.1", ["net/hidden"] = "64" });
        for (int step = 0; step < 30; step++) run.LogMetric("loss/td", step == 3 ? double.NaN : 1.0 / (step + 1), step);
        run.LogMetric("q", double.NegativeInfinity, 0);
        run.SetTag("note", "made offline");
        string model = _temp.Combine("q.bin");
        await File.WriteAllBytesAsync(model, [9, 8, 7]);
        run.LogArtifact(model, "models/q.bin");
        return run;
    }

    [Fact]
    public async Task Pushing_twice_makes_one_remote_run_with_everything_once()
    {
        var run = await LocalRunAsync();
        Assert.Empty(await run.EndAsync(RunState.Killed));

        var first = await _remote.PushAsync(run.Directory);
        var second = await _remote.PushAsync(run.Directory);

        var remote = _server.State.SingleRun("offline");
        int localTags = Directory.GetFiles(Path.Combine(run.Directory, "tags")).Length - 1; // less the push record written afterwards
        Assert.Equal(new PushResult(remote.RunId, true, 2, localTags + 1, 31, 1), first); // plus qforge.source_run_id
        Assert.Equal(new PushResult(remote.RunId, false, 0, 0, 0, 1), second);
        Assert.Equal("KILLED", remote.Status);
        Assert.Equal("trial-1", remote.RunName);
        Assert.Equal("ana", remote.UserId);
        Assert.Equal(long.Parse(Local.ReadRunMeta(run.ExperimentId, run.RunId)["start_time"]), remote.StartTime);
        Assert.Equal(long.Parse(Local.ReadRunMeta(run.ExperimentId, run.RunId)["end_time"]), remote.EndTime);
        Assert.Equal(new Dictionary<string, string> { ["alpha"] = "0.1", ["net/hidden"] = "64" }, remote.Params);
        Assert.Equal("made offline", remote.Tags["note"]);
        Assert.Equal(run.RunId, remote.Tags["qforge.source_run_id"]);
        Assert.Equal(30, remote.Metrics.Count(m => m.Key == "loss/td"));
        Assert.True(double.IsNaN(remote.Metrics.Single(m => m is { Key: "loss/td", Step: 3 }).Value));
        Assert.Equal(double.NegativeInfinity, remote.Metrics.Single(m => m.Key == "q").Value);
        Assert.Equal([9, 8, 7], remote.Artifacts["models/q.bin"]);
        Assert.Equal(remote.RunId, File.ReadAllText(Path.Combine(run.Directory, "tags", $"qforge.pushed.127.0.0.1_{_server.Port}")));
        Assert.DoesNotContain(remote.Tags.Keys, k => k.StartsWith("qforge.pushed.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_push_interrupted_before_it_recorded_itself_resumes_into_the_same_run_sending_only_what_is_missing()
    {
        var run = await LocalRunAsync();
        await run.EndAsync(RunState.Finished);
        // What an interrupted push leaves on the server: the run, tagged with its source, and the first values.
        string experiment = await _remote.GetOrCreateExperimentAsync("offline");
        var partial = await _remote.StartRunAsync(experiment, "trial-1", new Dictionary<string, string> { ["qforge.source_run_id"] = run.RunId }, 0);
        var local = Local.ReadRun(run.ExperimentId, run.RunId);
        await _remote.LogMetricsAsync(partial, local.Metrics.Where(m => m is { Key: "loss/td", Step: < 12 }).ToList());
        await _remote.LogParamsAsync(partial, new Dictionary<string, string> { ["alpha"] = "0.1" });

        var result = await _remote.PushAsync(run.Directory);

        Assert.Equal(partial.RunId, result.RemoteRunId);
        Assert.False(result.CreatedRemoteRun);
        Assert.Equal((1, 31 - 12), (result.ParamsSent, result.MetricsSent));
        Assert.Equal(Enumerable.Range(0, 30).Select(s => (long)s), _server.State.Metrics(partial.RunId, "loss/td").Select(m => m.Step));
        Assert.Single(_server.State.Runs);
        Assert.Equal("FINISHED", _server.State.Runs[partial.RunId].Status);
    }

    [Fact]
    public async Task A_remote_param_with_another_value_stops_the_push_before_anything_is_sent()
    {
        var run = await LocalRunAsync();
        await run.EndAsync(RunState.Finished);
        string experiment = await _remote.GetOrCreateExperimentAsync("offline");
        var other = await _remote.StartRunAsync(experiment, "trial-1", new Dictionary<string, string> { ["qforge.source_run_id"] = run.RunId }, 0);
        await _remote.LogParamsAsync(other, new Dictionary<string, string> { ["alpha"] = "0.5" });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _remote.PushAsync(run.Directory));

        Assert.Contains("'alpha' (there '0.5', here '0.1')", error.Message);
        Assert.Empty(_server.State.Runs[other.RunId].Metrics);
        Assert.Equal("RUNNING", _server.State.Runs[other.RunId].Status);
    }

    [Fact]
    public async Task A_child_pushed_after_its_parent_points_at_the_parents_remote_run()
    {
        var parent = TrackedRun.Start(Local, "sweep", "sweep-1", new Dictionary<string, string>(), TimeProvider.System);
        await parent.EndAsync(RunState.Finished);
        var child = TrackedRun.Start(Local, "sweep", "trial-0", new Dictionary<string, string> { ["mlflow.parentRunId"] = parent.RunId }, TimeProvider.System);
        await child.EndAsync(RunState.Finished);

        var pushedParent = await _remote.PushAsync(parent.Directory);
        var pushedChild = await _remote.PushAsync(child.Directory);

        Assert.Equal(pushedParent.RemoteRunId, _server.State.Runs[pushedChild.RemoteRunId].Tags["mlflow.parentRunId"]);
    }

    [Fact]
    public async Task A_folder_that_is_not_a_run_is_refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _remote.PushAsync(_temp.Path));

        Assert.Contains("is not a run folder", error.Message);
        Assert.Empty(_server.State.Requests);
    }
}
