namespace QForge.Tracking.Tests;

/// <summary>Choosing the store from MLFLOW_TRACKING_URI and the experiment from MLFLOW_EXPERIMENT_NAME.</summary>
public sealed class TrackingUriTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void No_uri_means_the_file_store_mlruns_in_the_working_directory()
    {
        string root = Path.GetFullPath(TrackingUri.DefaultFileStoreRoot);
        bool existed = Directory.Exists(root);
        try
        {
            using var store = TrackingUri.Open(null);
            Assert.Equal(root, Assert.IsType<FileStore>(store).Root);
            using var blank = TrackingUri.Open("  ");
            Assert.Equal(root, Assert.IsType<FileStore>(blank).Root);
        }
        finally
        {
            if (!existed && Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void File_uris_and_plain_paths_open_a_file_store_there()
    {
        string path = _temp.Combine("runs dir");

        Assert.Equal(path, Assert.IsType<FileStore>(TrackingUri.Open(new Uri(path).AbsoluteUri)).Root);
        Assert.Equal(path, Assert.IsType<FileStore>(TrackingUri.Open(path)).Root);
        Assert.Equal(_temp.Combine("other"), Assert.IsType<FileStore>(TrackingUri.Open("file:" + _temp.Combine("other"))).Root);
        Assert.True(File.Exists(Path.Combine(path, "0", "meta.yaml")));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000")]
    [InlineData("https://mlflow.example.org/prefix/", "https://mlflow.example.org/prefix")]
    [InlineData("https://ana:secret@mlflow.example.org", "https://mlflow.example.org")]
    public void Http_uris_open_a_rest_store_without_credentials_in_its_location(string uri, string location)
    {
        using var store = TrackingUri.Open(uri, new RestStoreOptions());

        Assert.Equal(location, Assert.IsType<RestStore>(store).Location);
    }

    [Theory]
    [InlineData("sqlite:///mlflow.db", "sqlite")]
    [InlineData("postgresql://user:pw@db/mlflow", "postgresql")]
    [InlineData("databricks", "databricks")]
    public void Other_backends_are_refused_with_what_works(string uri, string scheme)
    {
        var error = Assert.Throws<NotSupportedException>(() => TrackingUri.Open(uri));

        Assert.Contains($"'{scheme}'", error.Message);
        Assert.Contains("http://", error.Message);
        Assert.DoesNotContain(":pw@", error.Message);
    }

    [Fact]
    public void The_file_store_factory_refuses_servers_so_its_callers_can_fall_back()
    {
        Assert.Throws<NotSupportedException>(() => FileStore.FromEnvironment("http://127.0.0.1:5000"));
        Assert.Equal(_temp.Path, FileStore.FromEnvironment(_temp.Path).Root);
    }

    [Fact]
    public void Mlflow_experiment_id_and_run_id_are_read_and_checked()
    {
        var variables = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = _temp.Combine("ids"), ["MLFLOW_EXPERIMENT_ID"] = "123456789012345678", ["MLFLOW_RUN_ID"] = "0123456789abcdef0123456789abcdef" };
        var target = TrackingUri.FromEnvironment("default", key => variables.GetValueOrDefault(key));
        Assert.Equal("123456789012345678", target.ExperimentId);
        Assert.Equal("0123456789abcdef0123456789abcdef", target.RunId);
        Assert.Null(TrackingUri.FromEnvironment("default", key => key == "MLFLOW_TRACKING_URI" ? _temp.Combine("ids") : null).RunId);

        variables["MLFLOW_RUN_ID"] = "../escape";
        Assert.Contains("MLFLOW_RUN_ID = '../escape' is not a run id", Assert.Throws<ArgumentException>(() => TrackingUri.FromEnvironment("d", key => variables.GetValueOrDefault(key))).Message);
        variables["MLFLOW_RUN_ID"] = null;
        variables["MLFLOW_EXPERIMENT_ID"] = "a/b";
        Assert.Contains("MLFLOW_EXPERIMENT_ID = 'a/b' is not an experiment id", Assert.Throws<ArgumentException>(() => TrackingUri.FromEnvironment("d", key => variables.GetValueOrDefault(key))).Message);
    }

    [Fact]
    public void The_experiment_name_comes_from_mlflow_experiment_name_else_the_default()
    {
        string uri = new Uri(_temp.Path).AbsoluteUri;

        var named = TrackingUri.FromEnvironment("taxi", Environment(("MLFLOW_TRACKING_URI", uri), ("MLFLOW_EXPERIMENT_NAME", "night runs")));
        var unnamed = TrackingUri.FromEnvironment("taxi", Environment(("MLFLOW_TRACKING_URI", uri), ("MLFLOW_EXPERIMENT_NAME", "")));

        Assert.Equal("night runs", named.ExperimentName);
        Assert.Equal("taxi", unnamed.ExperimentName);
        Assert.Equal(_temp.Path, Assert.IsType<FileStore>(named.Store).Root);
    }

    [Fact]
    public async Task A_server_uri_takes_credentials_and_retry_settings_from_the_environment()
    {
        await using var server = await FakeMlflowServer.StartAsync();
        var target = TrackingUri.FromEnvironment("taxi", Environment(
            ("MLFLOW_TRACKING_URI", server.Uri.AbsoluteUri), ("MLFLOW_TRACKING_TOKEN", "tok"), ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")));
        using var store = target.Store;
        server.State.Fail("experiments/get-by-name", 1, 503);

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.GetOrCreateExperimentAsync(target.ExperimentName));

        Assert.True(error.IsTransient);
        Assert.Equal("Bearer tok", Assert.Single(server.State.Requests).Authorization);
    }

    [Theory]
    [InlineData("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "many")]
    [InlineData("MLFLOW_HTTP_REQUEST_TIMEOUT", "0")]
    [InlineData("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "-1")]
    [InlineData("MLFLOW_TRACKING_INSECURE_TLS", "maybe")]
    public void A_bad_setting_names_the_variable_and_its_value(string variable, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => RestStoreOptions.FromEnvironment(Environment((variable, value))));

        Assert.Contains($"{variable} = '{value}'", error.Message);
    }

    [Fact]
    public void Settings_from_the_environment_override_mlflows_defaults()
    {
        var defaults = RestStoreOptions.FromEnvironment(Environment());
        var tuned = RestStoreOptions.FromEnvironment(Environment(("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3"), ("MLFLOW_HTTP_REQUEST_TIMEOUT", "30"),
            ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0.5"), ("MLFLOW_TRACKING_INSECURE_TLS", "true")));

        Assert.Equal((7, 120.0, 2.0, 1.0, false), (defaults.MaxRetries, defaults.RequestTimeout.TotalSeconds, defaults.BackoffFactor.TotalSeconds, defaults.BackoffJitter.TotalSeconds, defaults.InsecureTls));
        Assert.Equal((3, 30.0, 0.5, true), (tuned.MaxRetries, tuned.RequestTimeout.TotalSeconds, tuned.BackoffFactor.TotalSeconds, tuned.InsecureTls));
    }
}
