namespace QForge.Tracking;

/// <summary>
/// Where MLflow runs are written: <see cref="FileStore"/> (MLflow's file-store layout) or <see cref="RestStore"/>
/// (an MLflow tracking server). Both check keys, ids and value lengths with <see cref="TrackingKeys"/> before
/// writing anything, and both refuse a param logged again with a different value.
/// </summary>
/// <remarks>
/// Errors: <see cref="ArgumentException"/> for a bad key, id, name or value (nothing is written);
/// <see cref="InvalidOperationException"/> for a param that already has a different value (never retried);
/// <see cref="TrackingException"/> when a server refuses a call or stays unreachable after its retries.
/// </remarks>
public interface ITrackingStore : IDisposable
{
    /// <summary>The store's address, for messages: <c>file:///abs/mlruns</c> or <c>http(s)://host:port</c>; never credentials.</summary>
    string Location { get; }

    /// <summary>The id of the experiment named <paramref name="name"/>, created if it does not exist yet.</summary>
    Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates a RUNNING run in <paramref name="experimentId"/> named <paramref name="runName"/> (also the tag
    /// <c>mlflow.runName</c>) with <paramref name="tags"/>, started at <paramref name="startTime"/> (Unix ms). A
    /// <paramref name="parentRunId"/> becomes the tag <c>mlflow.parentRunId</c>, which nests the run under its parent
    /// in MLflow's UI. The user is the tag <c>mlflow.user</c> when given, else the current OS user.
    /// </summary>
    Task<RunInfo> StartRunAsync(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, long startTime,
        string? parentRunId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Logs metric values, params and tags to <paramref name="run"/> (MLflow's log-batch: params first, then metrics,
    /// then tags; any amount, split as the store needs). Metric values are appended in the order given.
    /// </summary>
    Task LogBatchAsync(RunInfo run, IReadOnlyList<MetricPoint> metrics, IReadOnlyCollection<KeyValuePair<string, string>> parameters,
        IReadOnlyCollection<KeyValuePair<string, string>> tags, CancellationToken cancellationToken = default);

    /// <summary>Stores a copy of <paramref name="file"/> as the artifact <paramref name="artifactPath"/> (relative, '/' separated) of <paramref name="run"/>.</summary>
    Task LogArtifactAsync(RunInfo run, string file, string artifactPath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reopens the existing run <paramref name="runId"/> for logging (a resumed training run, or the run named by
    /// <c>MLFLOW_RUN_ID</c>) and marks it RUNNING, as <c>mlflow.start_run(run_id=...)</c> does.
    /// </summary>
    /// <exception cref="TrackingException">The run does not exist or is deleted (not transient), or the server could not be reached (transient).</exception>
    Task<ExistingRun> ResumeRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Sets the run's status to <paramref name="state"/> and its end time to <paramref name="endTime"/> (Unix ms).</summary>
    Task EndRunAsync(RunInfo run, RunState state, long endTime, CancellationToken cancellationToken = default);
}

/// <summary>One-kind shorthands for <see cref="ITrackingStore.LogBatchAsync"/>.</summary>
public static class TrackingStoreExtensions
{
    private static readonly KeyValuePair<string, string>[] None = [];

    /// <summary>Logs params (each once: logging a param again with another value is refused).</summary>
    public static Task LogParamsAsync(this ITrackingStore store, RunInfo run, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
        store.LogBatchAsync(run, [], parameters, None, cancellationToken);

    /// <summary>Logs metric values, in order.</summary>
    public static Task LogMetricsAsync(this ITrackingStore store, RunInfo run, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default) =>
        store.LogBatchAsync(run, metrics, None, None, cancellationToken);

    /// <summary>Sets tags (a tag set again takes the new value).</summary>
    public static Task SetTagsAsync(this ITrackingStore store, RunInfo run, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
        store.LogBatchAsync(run, [], None, tags, cancellationToken);
}
