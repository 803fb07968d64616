using System.Globalization;
using System.Text.Json;

namespace QForge.Tracking;

public sealed partial class RestStore
{
    /// <summary>Tag on a pushed run: the id of the local run it came from (how a repeated push finds it).</summary>
    internal const string SourceRunIdTag = "qforge.source_run_id";

    /// <summary>Tag on a spool run: the server-side run its records belong to.</summary>
    internal const string RemoteRunIdTag = "qforge.remote_run_id";

    /// <summary>Tag on a spool run: the server-side experiment of <see cref="RemoteRunIdTag"/>.</summary>
    internal const string RemoteExperimentIdTag = "qforge.remote_experiment_id";

    /// <summary>Tag on a spool run: the server it was meant for.</summary>
    internal const string RemoteUriTag = "qforge.remote_uri";

    /// <summary>Prefix of the local tag that records, per server, which remote run holds a pushed run.</summary>
    internal const string PushedTagPrefix = "qforge.pushed.";

    /// <summary>The local tag recording which run on this server holds a pushed run (host and port; ':' is not allowed in keys).</summary>
    internal string PushedTag => PushedTagPrefix + $"{ServerUri.Host}_{ServerUri.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Sends a local file-store run (one made offline, or spooled by <see cref="TrackedRun"/> while this server was
    /// down) to this server: params, tags, metric values, artifacts and, once the run has ended, its status and end
    /// time. Pushing is idempotent: the remote run is found again (through the local tag
    /// <c>qforge.pushed.&lt;host&gt;_&lt;port&gt;</c>, a spool run's <c>qforge.remote_run_id</c>, or a server-side search for
    /// <c>qforge.source_run_id</c>), and only the params, tags and metric values it lacks are sent, so pushing twice,
    /// or again after an interrupted push, creates no second run and no duplicate values. Push a parent run before
    /// its children so that <c>mlflow.parentRunId</c> can be pointed at the parent's remote run.
    /// </summary>
    /// <param name="localRunDirectory">The run's folder: <c>&lt;root&gt;/&lt;experiment id&gt;/&lt;run id&gt;</c>.</param>
    /// <param name="cancellationToken">Stops the push between requests.</param>
    /// <exception cref="ArgumentException">The folder is not a file-store run.</exception>
    /// <exception cref="InvalidOperationException">The remote run has a param with a different value (nothing is sent).</exception>
    /// <exception cref="TrackingException">The server refused a call or stayed unreachable.</exception>
    public async Task<PushResult> PushAsync(string localRunDirectory, CancellationToken cancellationToken = default)
    {
        string runFolder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(localRunDirectory));
        string experimentFolder = Path.GetDirectoryName(runFolder) ?? "";
        string root = Path.GetDirectoryName(experimentFolder) ?? "";
        if (!File.Exists(Path.Combine(runFolder, "meta.yaml")) || root.Length == 0)
            throw new ArgumentException($"'{localRunDirectory}' is not a run folder of an MLflow file store (<root>/<experiment id>/<run id> with a meta.yaml).", nameof(localRunDirectory));
        string runId = Path.GetFileName(runFolder), experimentId = Path.GetFileName(experimentFolder);
        var store = new FileStore(root);
        var local = store.ReadRun(experimentId, runId);
        var state = (RunState)int.Parse(local.Meta["status"], CultureInfo.InvariantCulture);
        long startTime = long.Parse(local.Meta["start_time"], CultureInfo.InvariantCulture);
        long? endTime = long.TryParse(local.Meta.GetValueOrDefault("end_time"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long end) ? end : null;
        string runName = local.Meta.GetValueOrDefault("run_name") is { Length: > 0 } name ? name : local.Tags.GetValueOrDefault("mlflow.runName", runId);
        var tags = TagsToPush(local, store, experimentId, runId);

        string remoteExperiment = await GetOrCreateExperimentAsync(local.ExperimentName, cancellationToken).ConfigureAwait(false);
        RemoteRun? remote = null;
        foreach (string? known in new[] { local.Tags.GetValueOrDefault(PushedTag), local.Tags.GetValueOrDefault(RemoteRunIdTag) })
            if (known is not null && TrackingKeys.IsRunId(known) && (remote = await GetRunAsync(known, cancellationToken).ConfigureAwait(false)) is not null) break;
        if (remote is null && await FindRunByTagAsync(remoteExperiment, SourceRunIdTag, runId, cancellationToken).ConfigureAwait(false) is { } found)
            remote = await GetRunAsync(found, cancellationToken).ConfigureAwait(false);

        bool created = remote is null;
        if (remote is null)
        {
            var info = await StartRunAsync(remoteExperiment, runName, tags, startTime, parentRunId: null, cancellationToken).ConfigureAwait(false);
            remote = new RemoteRun(info, new Dictionary<string, string>(), new Dictionary<string, string>(tags) { ["mlflow.runName"] = runName });
        }

        var conflicts = local.Params.Where(p => remote.Params.TryGetValue(p.Key, out var there) && there != p.Value).ToList();
        if (conflicts.Count > 0)
            throw new InvalidOperationException($"Cannot push run {runId} into run {remote.Info.RunId} on {Location}: params " +
                string.Join(", ", conflicts.Select(c => $"'{c.Key}' (there '{remote.Params[c.Key]}', here '{c.Value}')")) + " differ, and MLflow params cannot change.");
        var newParams = local.Params.Where(p => !remote.Params.ContainsKey(p.Key)).ToList();
        var newTags = tags.Where(t => remote.Tags.GetValueOrDefault(t.Key) != t.Value).ToList();
        var newMetrics = created ? local.Metrics : await MissingMetricsAsync(remote.Info.RunId, local.Metrics, cancellationToken).ConfigureAwait(false);

        if (newParams.Count > 0) await LogBatchAsync(remote.Info, [], newParams, [], cancellationToken).ConfigureAwait(false);
        if (newMetrics.Count > 0 || newTags.Count > 0) await LogBatchAsync(remote.Info, newMetrics, [], newTags, cancellationToken).ConfigureAwait(false);
        foreach (var (file, artifactPath) in local.Artifacts)
            await LogArtifactAsync(remote.Info, file, artifactPath, cancellationToken).ConfigureAwait(false);
        if (state != RunState.Running) await EndRunAsync(remote.Info, state, endTime ?? startTime, cancellationToken).ConfigureAwait(false);
        store.SetTag(experimentId, runId, PushedTag, remote.Info.RunId);
        return new PushResult(remote.Info.RunId, created, newParams.Count, created ? tags.Count : newTags.Count, newMetrics.Count, local.Artifacts.Count);
    }

    /// <summary>The local run's tags as the server should have them: QForge's spool and push bookkeeping left out, the source run recorded, a pushed parent's id replaced by its remote id.</summary>
    private Dictionary<string, string> TagsToPush(LocalRun local, FileStore store, string experimentId, string runId)
    {
        var tags = local.Tags
            .Where(t => !t.Key.StartsWith(PushedTagPrefix, StringComparison.Ordinal) && t.Key is not (RemoteRunIdTag or RemoteExperimentIdTag or RemoteUriTag))
            .ToDictionary(t => t.Key, t => t.Value);
        tags[SourceRunIdTag] = runId;
        if (tags.TryGetValue("mlflow.parentRunId", out string? parent) && TrackingKeys.IsRunId(parent))
        {
            string parentPushed = Path.Combine(store.RunDirectory(experimentId, parent), "tags", PushedTag);
            if (File.Exists(parentPushed)) tags["mlflow.parentRunId"] = File.ReadAllText(parentPushed);
        }
        return tags;
    }

    /// <summary>The local metric values the remote run does not have yet (compared per key as a multiset of timestamp, step and value), in local order.</summary>
    private async Task<List<MetricPoint>> MissingMetricsAsync(string remoteRunId, List<MetricPoint> localMetrics, CancellationToken cancellationToken)
    {
        var missing = new List<MetricPoint>();
        foreach (var key in localMetrics.Select(m => m.Key).Distinct())
        {
            var remoteCounts = new Dictionary<(long, long, string), int>();
            foreach (var point in await GetMetricHistoryAsync(remoteRunId, key, cancellationToken).ConfigureAwait(false))
                remoteCounts[Identity(point)] = remoteCounts.GetValueOrDefault(Identity(point)) + 1;
            foreach (var point in localMetrics.Where(m => m.Key == key))
            {
                if (remoteCounts.GetValueOrDefault(Identity(point)) is > 0 and var count) remoteCounts[Identity(point)] = count - 1;
                else missing.Add(point);
            }
        }
        return missing;

        static (long, long, string) Identity(MetricPoint point) => (point.Timestamp, point.Step, FileStore.FormatValue(point.Value));
    }

    /// <summary>A run with its params and tags, or null when the server has no such run or it is deleted.</summary>
    internal async Task<RemoteRun?> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync($"runs/get?run_id={Uri.EscapeDataString(runId)}", $"runs/get of run {runId}", answer =>
            {
                var run = answer.GetProperty("run");
                var info = run.GetProperty("info");
                if (info.TryGetProperty("lifecycle_stage", out var stage) && stage.GetString() == "deleted") return null;
                var data = run.TryGetProperty("data", out var d) ? d : default;
                return new RemoteRun(ReadRunInfo(info), KeyValues(data, "params"), KeyValues(data, "tags"));
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST" || (e.StatusCode == 404 && !e.IsTransient))
        {
            return null;
        }
    }

    /// <summary>The id of a run of <paramref name="experimentId"/> whose tag <paramref name="key"/> is <paramref name="value"/>, or null.</summary>
    internal async Task<string?> FindRunByTagAsync(string experimentId, string key, string value, CancellationToken cancellationToken)
    {
        byte[] body = Json(w =>
        {
            w.WriteStartArray("experiment_ids");
            w.WriteStringValue(experimentId);
            w.WriteEndArray();
            w.WriteString("filter", $"tags.`{key}` = '{value.Replace("'", "\\'")}'");
            w.WriteNumber("max_results", 1);
        });
        return await PostAsync("runs/search", body, $"runs/search for {key} = {value}", answer =>
            answer.TryGetProperty("runs", out var runs) && runs.GetArrayLength() > 0 ? ReadRunInfo(runs[0].GetProperty("info")).RunId : null,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every value of one metric of a run, following pages.</summary>
    internal async Task<List<MetricPoint>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellationToken)
    {
        var points = new List<MetricPoint>();
        string? pageToken = null;
        do
        {
            string query = $"metrics/get-history?run_id={Uri.EscapeDataString(runId)}&metric_key={Uri.EscapeDataString(key)}"
                           + (pageToken is null ? "" : $"&page_token={Uri.EscapeDataString(pageToken)}");
            pageToken = await GetAsync(query, $"metrics/get-history of '{key}' for run {runId}", answer =>
            {
                if (answer.TryGetProperty("metrics", out var metrics))
                    foreach (var metric in metrics.EnumerateArray())
                        points.Add(new MetricPoint(key, ReadDouble(metric.GetProperty("value")), ReadLong(metric, "step"), ReadLong(metric, "timestamp")));
                return answer.TryGetProperty("next_page_token", out var next) && next.GetString() is { Length: > 0 } token ? token : null;
            }, cancellationToken).ConfigureAwait(false);
        }
        while (pageToken is not null);
        return points;
    }

    private static Dictionary<string, string> KeyValues(JsonElement data, string name)
    {
        var values = new Dictionary<string, string>();
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var array))
            foreach (var item in array.EnumerateArray())
                values[item.GetProperty("key").GetString()!] = item.TryGetProperty("value", out var value) ? value.GetString() ?? "" : "";
        return values;
    }

    // MLflow serialises int64 fields as numbers or, from some versions, as strings; non-finite doubles as strings.
    private static long ReadLong(JsonElement owner, string name) =>
        !owner.TryGetProperty(name, out var element) ? 0
        : element.ValueKind == JsonValueKind.String ? long.Parse(element.GetString()!, CultureInfo.InvariantCulture)
        : element.GetInt64();

    private static double ReadDouble(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? FileStore.ParseValue(element.GetString()!) : element.GetDouble();

    /// <summary>A run on the server, with what a push compares against.</summary>
    internal sealed record RemoteRun(RunInfo Info, Dictionary<string, string> Params, Dictionary<string, string> Tags);
}
