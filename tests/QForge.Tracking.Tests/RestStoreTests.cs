using System.Text;

namespace QForge.Tracking.Tests;

/// <summary>The MLflow REST API 2.0 client against an in-process fake server: calls, limits, retries and errors.</summary>
public sealed class RestStoreTests : IAsyncLifetime
{
    private static readonly RestStoreOptions Fast = new()
    {
        MaxRetries = 5,
        BackoffFactor = TimeSpan.FromMilliseconds(10),
        BackoffCap = TimeSpan.FromMilliseconds(100),
        BackoffJitter = TimeSpan.FromMilliseconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    private FakeMlflowServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeMlflowServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private int Requests(string endpoint) => _server.State.Requests.Count(r => r.Endpoint == endpoint);

    private async Task<(RestStore Store, RunInfo Run)> StartRunAsync(RestStoreOptions? options = null)
    {
        var store = new RestStore(_server.Uri, options ?? Fast);
        string experiment = await store.GetOrCreateExperimentAsync("rest");
        return (store, await store.StartRunAsync(experiment, "run", new Dictionary<string, string>(), 1_000));
    }

    [Fact]
    public async Task Get_or_create_experiment_creates_once_then_finds_it_by_name()
    {
        using var store = new RestStore(_server.Uri, Fast);

        string created = await store.GetOrCreateExperimentAsync("taxi");
        string found = await store.GetOrCreateExperimentAsync("taxi");

        Assert.Equal(created, found);
        Assert.Single(_server.State.Experiments, e => e.Name == "taxi");
        Assert.Equal(1, Requests("experiments/create"));
        Assert.Equal(2, Requests("experiments/get-by-name"));
    }

    [Fact]
    public async Task A_create_race_answered_resource_already_exists_resolves_to_the_rivals_experiment()
    {
        using var store = new RestStore(_server.Uri, Fast);
        _server.State.CreateExperimentRace = true;

        string id = await store.GetOrCreateExperimentAsync("raced");

        Assert.Equal(_server.State.Experiments.Single(e => e.Name == "raced").Id, id);
        Assert.Equal(400, _server.State.Requests.Single(r => r.Endpoint == "experiments/create").Status);
    }

    [Fact]
    public async Task A_deleted_experiment_is_a_clear_error()
    {
        using var store = new RestStore(_server.Uri, Fast);
        lock (_server.State.Gate) _server.State.AddExperiment("gone").LifecycleStage = "deleted";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetOrCreateExperimentAsync("gone"));

        Assert.Contains("'gone' is deleted", error.Message);
    }

    [Fact]
    public async Task Runs_are_created_with_name_tags_and_parent_and_ended_with_status_and_end_time()
    {
        using var store = new RestStore(_server.Uri, Fast);
        string experiment = await store.GetOrCreateExperimentAsync("nested");
        var parent = await store.StartRunAsync(experiment, "sweep", new Dictionary<string, string> { ["mlflow.user"] = "ana" }, 1_000);
        var child = await store.StartRunAsync(experiment, "trial-3", new Dictionary<string, string> { ["qforge.trial"] = "3" }, 1_001, parentRunId: parent.RunId);

        await store.EndRunAsync(child, RunState.Killed, 2_000);

        var run = _server.State.Runs[child.RunId];
        Assert.Equal(experiment, child.ExperimentId);
        Assert.Equal($"mlflow-artifacts:/{experiment}/{child.RunId}/artifacts", child.ArtifactUri);
        Assert.Equal(parent.RunId, run.Tags["mlflow.parentRunId"]);
        Assert.Equal("trial-3", run.Tags["mlflow.runName"]);
        Assert.Equal("3", run.Tags["qforge.trial"]);
        Assert.Equal(1_001, run.StartTime);
        Assert.Equal("KILLED", run.Status);
        Assert.Equal(2_000, run.EndTime);
        Assert.Equal("ana", _server.State.Runs[parent.RunId].UserId);
    }

    [Fact]
    public async Task A_large_batch_is_split_at_mlflows_count_limits_with_everything_arriving_once_in_order()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        var metrics = Enumerable.Range(0, 2500).Select(i => new MetricPoint("value", i * 0.5, i, 10_000 + i)).ToList();
        var parameters = Enumerable.Range(0, 250).Select(i => KeyValuePair.Create($"p{i}", $"{i}")).ToList();
        var tags = Enumerable.Range(0, 150).Select(i => KeyValuePair.Create($"t{i}", $"{i}")).ToList();

        await store.LogBatchAsync(run, metrics, parameters, tags);

        Assert.Equal([new(800, 100, 100, 0), new(850, 100, 50, 0), new(850, 50, 0, 0)], _server.State.Batches.Select(b => b with { Characters = 0 }));
        Assert.Equal(metrics, _server.State.Metrics(run.RunId, "value"));
        Assert.Equal(250, _server.State.Runs[run.RunId].Params.Count);
        Assert.Equal(150, _server.State.Runs[run.RunId].Tags.Count(t => t.Key.StartsWith('t')));
    }

    [Theory]
    [InlineData(1000, new[] { 1000 })]
    [InlineData(1001, new[] { 1000, 1 })]
    [InlineData(3000, new[] { 1000, 1000, 1000 })]
    public async Task Metrics_are_split_into_requests_of_at_most_a_thousand(int count, int[] expected)
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;

        await store.LogMetricsAsync(run, Enumerable.Range(0, count).Select(i => new MetricPoint("m", i, i, i)).ToList());

        Assert.Equal(expected, _server.State.Batches.Select(b => b.Metrics));
        Assert.Equal(count, _server.State.Metrics(run.RunId, "m").Count);
    }

    [Fact]
    public async Task A_batch_is_split_so_that_no_body_exceeds_a_million_characters()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        var parameters = Enumerable.Range(0, 100).Select(i => KeyValuePair.Create($"p{i}", new string('p', 6000))).ToList();
        var tags = Enumerable.Range(0, 100).Select(i => KeyValuePair.Create($"t{i}", new string('t', 8000))).ToList();

        await store.LogBatchAsync(run, [new("m", 1, 0, 0)], parameters, tags);

        Assert.True(_server.State.Batches.Count >= 2);
        Assert.All(_server.State.Batches, b => Assert.InRange(b.Characters, 1, 1_000_000));
        Assert.Equal(100, _server.State.Batches.Sum(b => b.Params));
        Assert.Equal(100, _server.State.Batches.Sum(b => b.Tags));
        Assert.All(_server.State.Runs[run.RunId].Params.Values, v => Assert.Equal(6000, v.Length));
    }

    [Fact]
    public async Task Non_finite_metric_values_travel_as_json_strings()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;

        await store.LogMetricsAsync(run, [new("q", double.NaN, 0, 1), new("q", double.PositiveInfinity, 1, 2), new("q", double.NegativeInfinity, 2, 3), new("q", 1e-7, 3, 4)]);

        string body = _server.State.Requests.Single(r => r.Endpoint == "runs/log-batch").LogBatchBody;
        Assert.Contains("\"value\":\"NaN\"", body);
        Assert.Contains("\"value\":\"Infinity\"", body);
        Assert.Contains("\"value\":\"-Infinity\"", body);
        Assert.Equal([double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-7], _server.State.Metrics(run.RunId, "q").Select(m => m.Value));
        Assert.Equal([double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-7], (await store.GetMetricHistoryAsync(run.RunId, "q", default)).Select(m => m.Value));
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_call_succeeds_once()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        _server.State.Fail("runs/log-batch", 3, 500);
        _server.State.Fail("runs/update", 2, 502);

        await store.LogMetricsAsync(run, [new("m", 1, 0, 0)]);
        await store.EndRunAsync(run, RunState.Finished, 5);

        Assert.Equal([500, 500, 500, 200], _server.State.Requests.Where(r => r.Endpoint == "runs/log-batch").Select(r => r.Status));
        Assert.Equal([502, 502, 200], _server.State.Requests.Where(r => r.Endpoint == "runs/update").Select(r => r.Status));
        Assert.Single(_server.State.Metrics(run.RunId, "m"));
        Assert.Equal("FINISHED", _server.State.Runs[run.RunId].Status);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_servers_retry_after()
    {
        var (store, run) = await StartRunAsync(new RestStoreOptions { MaxRetries = 3, BackoffFactor = TimeSpan.FromMilliseconds(10), BackoffCap = TimeSpan.FromSeconds(5), BackoffJitter = TimeSpan.Zero });
        using var _ = store;
        _server.State.Fail("runs/log-batch", 1, 429, retryAfterSeconds: 1);

        await store.LogMetricsAsync(run, [new("m", 1, 0, 0)]);

        var attempts = _server.State.Requests.Where(r => r.Endpoint == "runs/log-batch").ToList();
        Assert.Equal([429, 200], attempts.Select(a => a.Status));
        Assert.True(attempts[1].Time - attempts[0].Time >= TimeSpan.FromMilliseconds(900), $"retried after {(attempts[1].Time - attempts[0].Time).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_timed_out_request_is_retried()
    {
        var (store, run) = await StartRunAsync(Fast.With(timeout: TimeSpan.FromMilliseconds(300)));
        using var _ = store;
        _server.State.Fail("runs/log-batch", 1, 503, delay: TimeSpan.FromSeconds(2));

        await store.LogMetricsAsync(run, [new("m", 1, 0, 0)]);

        Assert.Single(_server.State.Metrics(run.RunId, "m"));
    }

    [Fact]
    public async Task When_retries_run_out_the_error_is_transient_and_names_the_last_failure()
    {
        var (store, run) = await StartRunAsync(Fast.With(maxRetries: 2));
        using var _ = store;
        _server.State.Fail("runs/log-batch", 100, 503);

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.LogMetricsAsync(run, [new("m", 1, 0, 0)]));

        Assert.True(error.IsTransient);
        Assert.Equal(503, error.StatusCode);
        Assert.Contains("3 attempts", error.Message);
        Assert.Equal(3, Requests("runs/log-batch"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(500)]
    public async Task A_param_conflict_is_never_retried_and_says_params_cannot_change(int status)
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        _server.State.ParamConflictStatus = status;
        await store.LogParamsAsync(run, new Dictionary<string, string> { ["lr"] = "0.1" });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.LogParamsAsync(run, new Dictionary<string, string> { ["lr"] = "0.2" }));

        Assert.Contains("params cannot change", error.Message);
        Assert.Contains("key='lr'", error.Message);
        Assert.Equal([200, status], _server.State.Requests.Where(r => r.Endpoint == "runs/log-batch").Select(r => r.Status));
        Assert.Equal("0.1", _server.State.Runs[run.RunId].Params["lr"]);
    }

    [Fact]
    public async Task Other_refusals_are_not_retried_and_are_not_transient()
    {
        using var store = new RestStore(_server.Uri, Fast);

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.StartRunAsync("999", "r", new Dictionary<string, string>(), 0));

        Assert.False(error.IsTransient);
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", error.ErrorCode);
        Assert.Equal(1, Requests("runs/create"));
    }

    [Fact]
    public async Task Basic_credentials_come_from_the_environment_and_never_appear_in_messages()
    {
        var environment = new Dictionary<string, string?> { ["MLFLOW_TRACKING_USERNAME"] = "ana", ["MLFLOW_TRACKING_PASSWORD"] = "s3cret-pw", ["MLFLOW_TRACKING_TOKEN"] = "ignored-token" };
        var options = RestStoreOptions.FromEnvironment(environment.GetValueOrDefault);
        using var store = new RestStore(_server.Uri, new RestStoreOptions { Username = options.Username, Password = options.Password, Token = options.Token, MaxRetries = 0 });
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("ana:s3cret-pw"));

        await store.GetOrCreateExperimentAsync("auth");
        _server.State.RequiredAuthorization = "Basic other";
        var refused = await Assert.ThrowsAsync<TrackingException>(() => store.GetOrCreateExperimentAsync("auth"));

        Assert.All(_server.State.Requests.Take(2), r => Assert.Equal(expected, r.Authorization));
        Assert.Equal(401, refused.StatusCode);
        Assert.False(refused.IsTransient);
        Assert.DoesNotContain("s3cret-pw", refused.Message);
        Assert.DoesNotContain(expected[6..], refused.Message);
        Assert.DoesNotContain("s3cret-pw", options.ToString());
    }

    [Fact]
    public async Task A_token_is_sent_as_bearer_and_credentials_in_the_uri_are_used_but_not_shown()
    {
        using (var bearer = new RestStore(_server.Uri, new RestStoreOptions { Token = "tok-123" }))
            await bearer.GetOrCreateExperimentAsync("a");
        using var userInfo = new RestStore(new Uri($"http://bo:pa%24s@127.0.0.1:{_server.Port}/"));
        await userInfo.GetOrCreateExperimentAsync("a");

        Assert.Equal("Bearer tok-123", _server.State.Requests[0].Authorization);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bo:pa$s")), _server.State.Requests[^1].Authorization);
        Assert.Equal($"http://127.0.0.1:{_server.Port}", userInfo.Location);
        Assert.Equal($"http://127.0.0.1:{_server.Port}/", userInfo.ServerUri.AbsoluteUri);
    }

    [Fact]
    public async Task Artifacts_are_uploaded_through_the_servers_artifact_proxy()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        using var temp = new TempFolder();
        string file = temp.Combine("weights.bin");
        byte[] content = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        await File.WriteAllBytesAsync(file, content);

        await store.LogArtifactAsync(run, file, "models/final weights.bin");

        var upload = _server.State.Requests.Single(r => r.Method == "PUT");
        Assert.Equal(200, upload.Status);
        Assert.Equal(content, _server.State.Runs[run.RunId].Artifacts["models/final weights.bin"]);
    }

    [Fact]
    public async Task Bad_keys_and_oversized_values_are_refused_before_any_request()
    {
        var (store, run) = await StartRunAsync();
        using var _ = store;
        int before = _server.State.Requests.Count;

        Assert.Contains("Invalid metric key '../x'", (await Assert.ThrowsAsync<ArgumentException>(() => store.LogMetricsAsync(run, [new("../x", 1, 0, 0)]))).Message);
        await Assert.ThrowsAsync<ArgumentException>(() => store.LogParamsAsync(run, new Dictionary<string, string> { ["a//b"] = "1" }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.LogParamsAsync(run, new Dictionary<string, string> { ["long"] = new string('x', 6001) }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SetTagsAsync(run, new Dictionary<string, string> { ["long"] = new string('x', 8001) }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.LogArtifactAsync(run, "/etc/hostname", "../escape"));

        Assert.Equal(before, _server.State.Requests.Count);
    }

    [Fact]
    public void Backoff_doubles_from_the_factor_up_to_the_cap_and_honours_retry_after()
    {
        using var store = new RestStore(new Uri("http://127.0.0.1:9"), new RestStoreOptions { BackoffFactor = TimeSpan.FromSeconds(2), BackoffCap = TimeSpan.FromSeconds(120), BackoffJitter = TimeSpan.Zero });

        Assert.Equal([2, 4, 8, 16, 32, 64, 120, 120], Enumerable.Range(1, 8).Select(retry => store.Backoff(retry, null).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(7), store.Backoff(1, TimeSpan.FromSeconds(7)));
        Assert.Equal(TimeSpan.FromSeconds(120), store.Backoff(1, TimeSpan.FromHours(1)));
    }
}

internal static class RestStoreOptionsTestExtensions
{
    public static RestStoreOptions With(this RestStoreOptions options, int? maxRetries = null, TimeSpan? timeout = null) => new()
    {
        MaxRetries = maxRetries ?? options.MaxRetries,
        RequestTimeout = timeout ?? options.RequestTimeout,
        BackoffFactor = options.BackoffFactor,
        BackoffCap = options.BackoffCap,
        BackoffJitter = options.BackoffJitter,
    };
}
