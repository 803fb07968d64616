namespace QForge.Tracking.Tests;

/// <summary>MLflow's key rules: no key, id or artifact path can write outside its run folder.</summary>
public sealed class KeyValidationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static TheoryData<string, string> BadKeys => new()
    {
        { "", "it is empty" },
        { "../x", "may not be '.' or start with '..' or '/'" },
        { "..", "may not be '.' or start with '..' or '/'" },
        { ".", "may not be '.' or start with '..' or '/'" },
        { "/abs", "may not be '.' or start with '..' or '/'" },
        { "a//b", "not a normalised path" },
        { "a/./b", "not a normalised path" },
        { "a/../../b", "not a normalised path" },
        { "trailing/", "not a normalised path" },
        { "bad*char", "only letters, digits" },
        { "back\\slash", "only letters, digits" },
        { "colon:key", "only letters, digits" },
        { "new\nline", "only letters, digits" },
        { "ünïcode", "only letters, digits" },
        { new string('k', 251), "longer than 250 characters" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void A_bad_key_is_an_argument_exception_naming_the_key_and_the_rule(string key, string rule)
    {
        foreach (string kind in new[] { "metric", "param", "tag" })
        {
            var error = Assert.Throws<ArgumentException>(() => TrackingKeys.Validate(key, kind));
            Assert.Contains($"Invalid {kind} key '{key}'", error.Message);
            Assert.Contains(rule, error.Message);
        }
    }

    [Theory]
    [InlineData("loss")]
    [InlineData("loss/td")]
    [InlineData("eval mean-return_v2.0")]
    [InlineData("a/..b/c")]
    [InlineData("mlflow.parentRunId")]
    public void Good_keys_pass(string key) => TrackingKeys.Validate(key, "metric");

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Every_writer_refuses_a_bad_key_before_writing(string key, string rule)
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        string experiment = store.GetOrCreateExperiment("e");
        string runId = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        var run = TrackedRun.Start(store, "e", "writer", new Dictionary<string, string>(), TimeProvider.System);

        Assert.Contains(rule, Assert.Throws<ArgumentException>(() => store.LogParam(experiment, runId, key, "x")).Message);
        Assert.Throws<ArgumentException>(() => store.SetTag(experiment, runId, key, "x"));
        Assert.Throws<ArgumentException>(() => store.LogMetrics(experiment, runId, [new(key, 1, 0, 0)]));
        Assert.Throws<ArgumentException>(() => run.LogMetric(key, 1, 0));
        Assert.Throws<ArgumentException>(() => run.LogParams(new Dictionary<string, string> { [key] = "x" }));
        Assert.Throws<ArgumentException>(() => run.SetTag(key, "x"));
        Assert.Throws<ArgumentException>(() => run.CreateSeries([key]));
        Assert.Empty(await run.EndAsync(RunState.Finished));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.RunDirectory(experiment, runId), "params")));
        // Nothing was written outside the store.
        Assert.Equal(["mlruns"], Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("/etc/passwd", "must be relative")]
    [InlineData("../outside.txt", "not a normalised path")]
    [InlineData("models/../../outside.txt", "not a normalised path")]
    [InlineData("models//q.bin", "not a normalised path")]
    [InlineData("models\\q.bin", "'\\', ':' and control characters")]
    [InlineData("C:/q.bin", "'\\', ':' and control characters")]
    public void Artifact_paths_must_stay_inside_the_run(string path, string rule)
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        string experiment = store.GetOrCreateExperiment("e");
        string runId = store.CreateRun(experiment, "r", new Dictionary<string, string>(), 0, "");
        string file = _temp.Combine("payload.txt");
        File.WriteAllText(file, "x");

        var error = Assert.Throws<ArgumentException>(() => store.LogArtifact(experiment, runId, file, path));

        Assert.Contains($"Invalid artifact path '{path}'", error.Message);
        Assert.Contains(rule, error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(store.RunDirectory(experiment, runId), "artifacts")));
    }

    [Fact]
    public void Run_and_experiment_ids_follow_mlflows_patterns()
    {
        Assert.True(TrackingKeys.IsRunId("0123456789abcdef0123456789abcdef"));
        Assert.False(TrackingKeys.IsRunId("../etc"));
        Assert.False(TrackingKeys.IsRunId("_leading"));
        Assert.False(TrackingKeys.IsRunId(new string('a', 257)));
        Assert.True(TrackingKeys.IsExperimentId("123456789012345678"));
        Assert.False(TrackingKeys.IsExperimentId("a/b"));
        Assert.False(TrackingKeys.IsExperimentId(new string('1', 65)));
    }
}
