using System.Text.RegularExpressions;

namespace QForge.Tracking;

/// <summary>A store and the experiment name to log into, as the environment chose them.</summary>
/// <param name="Store">The store <c>MLFLOW_TRACKING_URI</c> names.</param>
/// <param name="ExperimentName"><c>MLFLOW_EXPERIMENT_NAME</c>, or the caller's default.</param>
/// <param name="ExperimentId">The experiment's id from <c>MLFLOW_EXPERIMENT_ID</c>, used instead of looking the name up.</param>
/// <param name="RunId">An existing run to log into, from <c>MLFLOW_RUN_ID</c>.</param>
public sealed record TrackingTarget(ITrackingStore Store, string ExperimentName, string? ExperimentId = null, string? RunId = null);

/// <summary>
/// Chooses the store the way MLflow's clients read <c>MLFLOW_TRACKING_URI</c>: unset, the file store <c>./mlruns</c>;
/// <c>file:///path</c> or a plain path, a file store there; <c>http://</c> or <c>https://</c>, a tracking server
/// through <see cref="RestStore"/>. Other backends (<c>sqlite:</c>, <c>postgresql:</c>, <c>databricks</c>...) are
/// refused with a message saying what works.
/// </summary>
public static partial class TrackingUri
{
    /// <summary>The variable naming the store.</summary>
    public const string TrackingUriVariable = "MLFLOW_TRACKING_URI";

    /// <summary>The variable naming the experiment.</summary>
    public const string ExperimentNameVariable = "MLFLOW_EXPERIMENT_NAME";

    /// <summary>The variable naming the experiment by id (it wins over the name, as in MLflow's client).</summary>
    public const string ExperimentIdVariable = "MLFLOW_EXPERIMENT_ID";

    /// <summary>The variable naming an existing run to log into.</summary>
    public const string RunIdVariable = "MLFLOW_RUN_ID";

    /// <summary>The file store used when no URI is given, relative to the working directory.</summary>
    public const string DefaultFileStoreRoot = "mlruns";

    [GeneratedRegex(@"^(?<scheme>[a-zA-Z][a-zA-Z0-9+.\-]+):")]
    private static partial Regex Scheme();

    [GeneratedRegex(@"(?<=://)[^/@]*@")]
    private static partial Regex UserInfo();

    /// <summary>The store <paramref name="uri"/> names (see the class summary); the caller disposes it.</summary>
    /// <param name="uri">The tracking URI; null or blank for <c>./mlruns</c>.</param>
    /// <param name="restOptions">Options for a tracking server; <see cref="RestStoreOptions.FromEnvironment"/> when null.</param>
    /// <exception cref="NotSupportedException">The URI names a backend QForge does not write.</exception>
    public static ITrackingStore Open(string? uri, RestStoreOptions? restOptions = null) => OpenStore(uri, restOptions, allowServer: true)!;

    /// <summary>
    /// The store named by <c>MLFLOW_TRACKING_URI</c> (with credentials and retry settings from the other
    /// <c>MLFLOW_*</c> variables) and the experiment named by <c>MLFLOW_EXPERIMENT_NAME</c>, else
    /// <paramref name="defaultExperimentName"/>; <c>MLFLOW_EXPERIMENT_ID</c> and <c>MLFLOW_RUN_ID</c> when set.
    /// </summary>
    /// <param name="defaultExperimentName">The experiment when <c>MLFLOW_EXPERIMENT_NAME</c> is unset or blank.</param>
    /// <param name="environment">Reads a variable (an <c>IConfiguration</c> indexer fits); the process environment when null.</param>
    /// <exception cref="NotSupportedException">The URI names a backend QForge does not write.</exception>
    /// <exception cref="ArgumentException">An <c>MLFLOW_*</c> variable holds a value of the wrong kind.</exception>
    public static TrackingTarget FromEnvironment(string defaultExperimentName, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? uri = environment(TrackingUriVariable);
        var store = OpenStore(uri, IsServer(uri) ? RestStoreOptions.FromEnvironment(environment) : null, allowServer: true)!;
        string? name = environment(ExperimentNameVariable);
        string? experimentId = environment(ExperimentIdVariable)?.Trim();
        string? runId = environment(RunIdVariable)?.Trim();
        if (!string.IsNullOrEmpty(experimentId) && !TrackingKeys.IsExperimentId(experimentId))
            throw new ArgumentException($"{ExperimentIdVariable} = '{experimentId}' is not an experiment id (letters, digits, '_' and '-', e.g. 123456789012345678).");
        if (!string.IsNullOrEmpty(runId) && !TrackingKeys.IsRunId(runId))
            throw new ArgumentException($"{RunIdVariable} = '{runId}' is not a run id (32 hex digits, e.g. 0123456789abcdef0123456789abcdef).");
        return new TrackingTarget(store, string.IsNullOrWhiteSpace(name) ? defaultExperimentName : name,
            string.IsNullOrEmpty(experimentId) ? null : experimentId, string.IsNullOrEmpty(runId) ? null : runId);
    }

    /// <summary><paramref name="uri"/> without a user and password (<c>https://user:secret@host</c> becomes <c>https://***@host</c>), for messages.</summary>
    internal static string Redact(string uri) => UserInfo().Replace(uri, "***@");

    /// <summary>The store, or null for a server when <paramref name="allowServer"/> is false.</summary>
    internal static ITrackingStore? OpenStore(string? uri, RestStoreOptions? restOptions, bool allowServer)
    {
        if (string.IsNullOrWhiteSpace(uri)) return new FileStore(DefaultFileStoreRoot);
        uri = uri.Trim();
        if (IsServer(uri))
            return allowServer ? new RestStore(new Uri(uri), restOptions ?? RestStoreOptions.FromEnvironment()) : null;
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (!uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) return new FileStore(Uri.UnescapeDataString(uri["file:".Length..]));
            var file = new Uri(uri);
            if (!file.IsLoopback && file.Host.Length > 0)
                throw new NotSupportedException($"{TrackingUriVariable} = '{Redact(uri)}' names a file on host '{file.Host}'; a file store must be a local path (file:///path).");
            return new FileStore(file.LocalPath);
        }
        var scheme = Scheme().Match(uri);
        if (scheme.Success || uri.Equals("databricks", StringComparison.OrdinalIgnoreCase))
        {
            string name = scheme.Success ? scheme.Groups["scheme"].Value : uri;
            throw new NotSupportedException($"{TrackingUriVariable} = '{Redact(uri)}' uses '{name}', which QForge does not write: use a tracking server " +
                "(http:// or https://, e.g. `mlflow server --backend-store-uri sqlite:///mlflow.db`) or a file store (a path or file:///path).");
        }
        return new FileStore(uri);
    }

    private static bool IsServer(string? uri) =>
        uri is not null && (uri.TrimStart().StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.TrimStart().StartsWith("https://", StringComparison.OrdinalIgnoreCase));
}
