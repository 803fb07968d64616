using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace QForge.Tracking;

/// <summary>A run's final state, as MLflow numbers it in meta.yaml.</summary>
public enum RunState
{
    /// <summary>In progress (1).</summary>
    Running = 1,

    /// <summary>Completed (3).</summary>
    Finished = 3,

    /// <summary>Threw (4).</summary>
    Failed = 4,

    /// <summary>Stopped by a signal (5).</summary>
    Killed = 5,
}

/// <summary>One metric value.</summary>
public readonly record struct MetricPoint(string Key, double Value, long Step, long Timestamp);

/// <summary>
/// MLflow's file store (the <c>./mlruns</c> layout MLflow's UI and <c>mlflow migrate-filestore</c> read): experiments
/// and runs as folders, params and tags as files, metrics as lines "timestamp value step". Every meta.yaml is written
/// atomically with every string quoted; metrics/, params/ and artifacts/ always exist. Safe for several writers in
/// one process (a lock) and across processes (unique run ids, re-read on create).
/// </summary>
public sealed class FileStore
{
    private static readonly Lock ExperimentLock = new();

    /// <summary>A store rooted at <paramref name="root"/> (created with the Default experiment "0" when new).</summary>
    public FileStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Path.Combine(Root, ".trash"));
        if (!File.Exists(Path.Combine(Root, "0", "meta.yaml"))) WriteExperiment("0", "Default");
    }

    /// <summary>The store's folder.</summary>
    public string Root { get; }

    /// <summary>The store for <c>MLFLOW_TRACKING_URI</c> (unset: <c>./mlruns</c>; <c>file:///path</c> or a plain path).</summary>
    /// <exception cref="NotSupportedException">The URI names a tracking server; QForge writes the file store only for now.</exception>
    public static FileStore FromEnvironment(string? uri = null)
    {
        uri ??= Environment.GetEnvironmentVariable("MLFLOW_TRACKING_URI");
        if (string.IsNullOrWhiteSpace(uri)) return new FileStore("mlruns");
        if (uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) return new FileStore(new Uri(uri).LocalPath);
        if (uri.Contains("://", StringComparison.Ordinal))
            throw new NotSupportedException($"MLFLOW_TRACKING_URI = '{uri}': QForge writes MLflow's file store (a path or file:///path); tracking servers are not supported yet. Log locally and point `mlflow server --backend-store-uri` at the folder.");
        return new FileStore(uri);
    }

    /// <summary>The id of the experiment named <paramref name="name"/>, creating it if needed.</summary>
    public string GetOrCreateExperiment(string name)
    {
        if (name.Length is 0 or > 500) throw new ArgumentException($"Experiment names have 1 to 500 characters; '{name}' has {name.Length}.");
        lock (ExperimentLock)
        {
            foreach (string directory in Directory.GetDirectories(Root))
            {
                string meta = Path.Combine(directory, "meta.yaml");
                if (File.Exists(meta) && File.ReadLines(meta).Any(l => l == $"name: {Quote(name)}")) return Path.GetFileName(directory);
            }
            string id = Math.Abs(BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) % 900_000_000_000_000_000L + 100_000_000_000_000_000L).ToString(CultureInfo.InvariantCulture);
            WriteExperiment(id, name);
            return id;
        }
    }

    /// <summary>Creates a run: its folders, meta.yaml (RUNNING) and tags; returns its id.</summary>
    public string CreateRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, long startTime, string userId)
    {
        string runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string run = RunDirectory(experimentId, runId);
        foreach (string sub in new[] { "metrics", "params", "tags", "artifacts" }) Directory.CreateDirectory(Path.Combine(run, sub));
        WriteRunMeta(experimentId, runId, runName, RunState.Running, startTime, endTime: null, userId);
        foreach (var (key, value) in tags) SetTag(experimentId, runId, key, value);
        SetTag(experimentId, runId, "mlflow.runName", runName);
        return runId;
    }

    /// <summary>Writes a param (once; a different value for an existing param is refused, as MLflow does).</summary>
    public void LogParam(string experimentId, string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "param");
        if (value.Length > TrackingKeys.MaxParamValueLength)
            throw new ArgumentException($"Param '{key}' has {value.Length} characters; MLflow keeps at most {TrackingKeys.MaxParamValueLength}.");
        string path = KeyPath(experimentId, runId, "params", key);
        if (File.Exists(path) && File.ReadAllText(path) != value)
            throw new InvalidOperationException($"Param '{key}' was already logged as '{File.ReadAllText(path)}'; MLflow params cannot change (tried '{value}').");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value);
    }

    /// <summary>Sets a tag (replacing its value).</summary>
    public void SetTag(string experimentId, string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "tag");
        if (value.Length > TrackingKeys.MaxTagValueLength) value = value[..TrackingKeys.MaxTagValueLength];
        string path = KeyPath(experimentId, runId, "tags", key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value);
    }

    /// <summary>Appends metric values, one line each: "timestamp value step" with Python's spelling of non-finite values.</summary>
    public void LogMetrics(string experimentId, string runId, IEnumerable<MetricPoint> points)
    {
        foreach (var group in points.GroupBy(p => p.Key))
        {
            TrackingKeys.Validate(group.Key, "metric");
            string path = KeyPath(experimentId, runId, "metrics", group.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var text = new StringBuilder();
            foreach (var p in group)
                text.Append(p.Timestamp.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(FormatValue(p.Value)).Append(' ')
                    .Append(p.Step.ToString(CultureInfo.InvariantCulture)).Append('\n');
            File.AppendAllText(path, text.ToString());
        }
    }

    /// <summary>Appends a block of rows: row r holds one value per key at <paramref name="steps"/>[r], all at <paramref name="timestamp"/>.</summary>
    public void LogMetricBlock(string experimentId, string runId, string[] keys, ReadOnlySpan<long> steps, ReadOnlySpan<double> values, long timestamp)
    {
        // Formats straight into UTF-8 bytes: the writer keeps up with a trainer logging every episode.
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(64, steps.Length * 64));
        try
        {
            for (int k = 0; k < keys.Length; k++)
            {
                TrackingKeys.Validate(keys[k], "metric");
                string path = KeyPath(experimentId, runId, "metrics", keys[k]);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                int length = 0;
                for (int r = 0; r < steps.Length; r++)
                {
                    Span<byte> line = buffer.AsSpan(length);
                    timestamp.TryFormat(line, out int written, default, CultureInfo.InvariantCulture);
                    line[written++] = (byte)' ';
                    written += FormatValue(values[r * keys.Length + k], line[written..]);
                    line[written++] = (byte)' ';
                    steps[r].TryFormat(line[written..], out int stepLength, default, CultureInfo.InvariantCulture);
                    written += stepLength;
                    line[written++] = (byte)'\n';
                    length += written;
                }
                using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
                file.Write(buffer, 0, length);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int FormatValue(double value, Span<byte> destination)
    {
        ReadOnlySpan<byte> special = double.IsNaN(value) ? "nan"u8 : double.IsPositiveInfinity(value) ? "inf"u8 : double.IsNegativeInfinity(value) ? "-inf"u8 : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(destination);
            return special.Length;
        }
        value.TryFormat(destination, out int written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>Copies a file into the run's artifacts, under <paramref name="artifactPath"/> (a relative path).</summary>
    public void LogArtifact(string experimentId, string runId, string file, string artifactPath)
    {
        TrackingKeys.Validate(artifactPath, "artifact path");
        string target = Path.Combine(RunDirectory(experimentId, runId), "artifacts", artifactPath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target, overwrite: true);
    }

    /// <summary>Ends the run with <paramref name="state"/> at <paramref name="endTime"/>.</summary>
    public void EndRun(string experimentId, string runId, RunState state, long endTime)
    {
        var meta = ReadRunMeta(experimentId, runId);
        WriteRunMeta(experimentId, runId, meta["run_name"], state, long.Parse(meta["start_time"], CultureInfo.InvariantCulture), endTime, meta["user_id"]);
    }

    /// <summary>Marks an ended run RUNNING again (a resumed run), with no end time.</summary>
    public void Reopen(string experimentId, string runId)
    {
        var meta = ReadRunMeta(experimentId, runId);
        WriteRunMeta(experimentId, runId, meta["run_name"], RunState.Running, long.Parse(meta["start_time"], CultureInfo.InvariantCulture), endTime: null, meta["user_id"]);
    }

    /// <summary>The folder of a run.</summary>
    public string RunDirectory(string experimentId, string runId)
    {
        if (!TrackingKeys.IsRunId(runId) || !experimentId.All(char.IsAsciiDigit))
            throw new ArgumentException($"'{experimentId}/{runId}' is not an MLflow experiment and run id.");
        return Path.Combine(Root, experimentId, runId);
    }

    /// <summary>A run's meta.yaml as key/value strings (quotes removed).</summary>
    public IReadOnlyDictionary<string, string> ReadRunMeta(string experimentId, string runId) =>
        File.ReadAllLines(Path.Combine(RunDirectory(experimentId, runId), "meta.yaml"))
            .Where(l => l.Contains(": "))
            .ToDictionary(l => l[..l.IndexOf(": ", StringComparison.Ordinal)], l => Unquote(l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]));

    /// <summary>Python float() spelling: nan, inf, -inf; otherwise round-trip decimal.</summary>
    public static string FormatValue(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private string KeyPath(string experimentId, string runId, string kind, string key) =>
        Path.Combine(RunDirectory(experimentId, runId), kind, Path.Combine(key.Split('/')));

    private void WriteExperiment(string id, string name)
    {
        string directory = Path.Combine(Root, id);
        Directory.CreateDirectory(directory);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        WriteAtomically(Path.Combine(directory, "meta.yaml"),
            $"artifact_location: {Quote(new Uri(directory).AbsoluteUri)}\ncreation_time: {now}\nexperiment_id: {Quote(id)}\nlast_update_time: {now}\nlifecycle_stage: active\nname: {Quote(name)}\n");
    }

    private void WriteRunMeta(string experimentId, string runId, string runName, RunState state, long startTime, long? endTime, string userId)
    {
        string run = RunDirectory(experimentId, runId);
        string artifactUri = new Uri(Path.Combine(run, "artifacts")).AbsoluteUri;
        WriteAtomically(Path.Combine(run, "meta.yaml"),
            $"artifact_uri: {Quote(artifactUri)}\n" +
            $"end_time: {(endTime is { } end ? end.ToString(CultureInfo.InvariantCulture) : "null")}\n" +
            "entry_point_name: ''\n" +
            $"experiment_id: {Quote(experimentId)}\n" +
            "lifecycle_stage: active\n" +
            $"run_id: {Quote(runId)}\n" +
            $"run_name: {Quote(runName)}\n" +
            $"run_uuid: {Quote(runId)}\n" +
            "source_name: ''\n" +
            "source_type: 4\n" +
            "source_version: ''\n" +
            $"start_time: {startTime.ToString(CultureInfo.InvariantCulture)}\n" +
            $"status: {(int)state}\n" +
            "tags: []\n" +
            $"user_id: {Quote(userId)}\n");
    }

    private static void WriteAtomically(string path, string text)
    {
        string temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A YAML single-quoted string (quotes doubled), so an all-digit id stays a string.</summary>
    internal static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

    private static string Unquote(string value) => value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'") : value;
}
