using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace QForge.Tracking;

/// <summary>
/// MLflow's file store (the <c>./mlruns</c> layout MLflow's UI and <c>mlflow migrate-filestore</c> read): experiments
/// and runs as folders, params and tags as files holding the bare value, metrics as lines "timestamp value step".
/// Every meta.yaml is written atomically (a temporary or prepared file, then a rename) with every string quoted; a
/// run's metrics/, params/, tags/ and artifacts/ always exist. Several runs may be written at once from threads or
/// processes: run ids are random, and experiment creation is serialised by a lock in the process and a named mutex
/// across processes, with a re-read so that writers which raced anyway settle on the same (oldest) experiment.
/// </summary>
public sealed class FileStore : ITrackingStore
{
    private static readonly Lock ExperimentLock = new();
    private static readonly string[] RunFolders = ["metrics", "params", "tags", "artifacts"];

    /// <summary>A store rooted at <paramref name="root"/> (created, with the Default experiment "0", when new).</summary>
    public FileStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Path.Combine(Root, ".trash"));
        if (!File.Exists(Path.Combine(Root, "0", "meta.yaml")) && !Directory.Exists(Path.Combine(Root, ".trash", "0")))
            WriteExperiment("0", "Default", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    /// <summary>The store's folder.</summary>
    public string Root { get; }

    /// <inheritdoc/>
    public string Location => new Uri(Root).AbsoluteUri;

    /// <summary>The file store named by <c>MLFLOW_TRACKING_URI</c> (or <paramref name="uri"/>): unset, <c>./mlruns</c>; <c>file:///path</c> or a plain path.</summary>
    /// <exception cref="NotSupportedException">The URI names a tracking server or another backend: open it with <see cref="TrackingUri.Open"/>.</exception>
    public static FileStore FromEnvironment(string? uri = null)
    {
        uri ??= Environment.GetEnvironmentVariable(TrackingUri.TrackingUriVariable);
        return TrackingUri.OpenStore(uri, restOptions: null, allowServer: false) as FileStore
               ?? throw new NotSupportedException($"{TrackingUri.TrackingUriVariable} = '{TrackingUri.Redact(uri!)}' names a tracking server; FileStore opens file stores only (TrackingUri.Open opens both).");
    }

    /// <summary>The id of the experiment named <paramref name="name"/>, creating it (with a random 18-digit id) if needed.</summary>
    /// <exception cref="ArgumentException">The name is empty, longer than 500 characters or holds control characters.</exception>
    public string GetOrCreateExperiment(string name)
    {
        TrackingKeys.ValidateExperimentName(name);
        // Most calls find the experiment, and finding it needs no lock (an experiment's meta.yaml is written
        // atomically); the named mutex alone costs ~0.3 ms, on the way to training.
        if (FindExperiment(name) is { } found) return found;
        lock (ExperimentLock)
        {
            using var crossProcess = CrossProcessLock.Acquire(Root);
            if (FindExperiment(name) is { } existing) return existing;
            ulong random = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
            string id = (100_000_000_000_000_000UL + random % 900_000_000_000_000_000UL).ToString(CultureInfo.InvariantCulture);
            WriteExperiment(id, name, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            // Re-read: a writer that does not share the mutex (another machine on a shared disk) may have created the
            // same name at the same moment; every writer settles on the oldest folder.
            return FindExperiment(name) ?? id;
        }
    }

    /// <summary>Creates a run: its folders, meta.yaml (RUNNING, <c>end_time: null</c>) and tags (with <c>mlflow.runName</c>); returns its id (32 lowercase hex digits).</summary>
    /// <exception cref="ArgumentException">A bad id, name, tag key or value; nothing is written.</exception>
    public string CreateRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, long startTime, string userId)
    {
        string runId = ReserveRun(experimentId, runName, tags, userId);
        CompleteRun(experimentId, runId, runName, tags, startTime, userId);
        return runId;
    }

    /// <summary>
    /// The first half of <see cref="CreateRun"/>: checks everything it checks, and that the experiment's folder can be
    /// written to (so a read-only store fails here), writing nothing on Unix; <see cref="CompleteRun"/> makes the run,
    /// which a run writer does off the training thread (on this project's disks each file or folder created costs
    /// 0.2-0.7 ms: ext4 skips the inodes of recently deleted files one by one). On Windows the run's folder is made
    /// here, as the check.
    /// </summary>
    /// <exception cref="ArgumentException">A bad id, name, tag key or value; nothing is written.</exception>
    /// <exception cref="UnauthorizedAccessException">The experiment's folder cannot be written to (permissions, a read-only file system).</exception>
    internal string ReserveRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, string userId)
    {
        string experiment = ExperimentDirectory(experimentId);
        if (!File.Exists(Path.Combine(experiment, "meta.yaml")))
            throw new ArgumentException($"Experiment '{experimentId}' does not exist in {Root}.", nameof(experimentId));
        TrackingKeys.ValidateSingleLine(runName, "run name");
        TrackingKeys.ValidateTagValue("mlflow.runName", runName);
        TrackingKeys.ValidateSingleLine(userId, "user id");
        foreach (var (key, value) in tags)
        {
            TrackingKeys.Validate(key, "tag");
            TrackingKeys.ValidateTagValue(key, value);
        }
        string runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(RunDirectory(experimentId, runId));
        }
        else if (access(experiment, WriteAccess) != 0)
        {
            throw new UnauthorizedAccessException($"The experiment folder {experiment} cannot be written to ({Marshal.GetLastPInvokeErrorMessage()}): a run needs a store it can write; point {TrackingUri.TrackingUriVariable} at another folder or a tracking server.");
        }
        return runId;
    }

    private const int WriteAccess = 2; // W_OK

    // access(2): whether this process may write into a folder (root included, a read-only file system not), asked
    // without creating anything.
    [DllImport("libc", SetLastError = true)]
    private static extern int access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    /// <summary>The second half of <see cref="CreateRun"/>: the run's folder and subfolders, meta.yaml and tags.</summary>
    internal void CompleteRun(string experimentId, string runId, string runName, IReadOnlyDictionary<string, string> tags, long startTime, string userId)
    {
        string run = RunDirectory(experimentId, runId);
        foreach (string folder in RunFolders) Directory.CreateDirectory(Path.Combine(run, folder));
        WriteRunMeta(experimentId, runId, runName, RunState.Running, startTime, endTime: null, userId);
        foreach (var (key, value) in tags) SetTag(experimentId, runId, key, value);
        SetTag(experimentId, runId, "mlflow.runName", runName);
    }

    /// <summary>Writes a param (once: logging it again with the same value does nothing, with another value is refused, as MLflow does).</summary>
    /// <exception cref="ArgumentException">A bad key, or a value longer than <see cref="TrackingKeys.MaxParamValueLength"/>.</exception>
    /// <exception cref="InvalidOperationException">The param already has a different value.</exception>
    public void LogParam(string experimentId, string runId, string key, string value)
    {
        CheckParam(experimentId, runId, key, value);
        WriteRunFile(experimentId, runId, "params", key, value);
    }

    /// <summary>Sets a tag, replacing its value.</summary>
    /// <exception cref="ArgumentException">A bad key, or a value longer than <see cref="TrackingKeys.MaxTagValueLength"/>.</exception>
    public void SetTag(string experimentId, string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "tag");
        TrackingKeys.ValidateTagValue(key, value);
        WriteRunFile(experimentId, runId, "tags", key, value);
    }

    /// <summary>Appends metric values, one line each: "timestamp value step" with Python's spelling of non-finite values.</summary>
    /// <exception cref="ArgumentException">A bad key; nothing is written.</exception>
    public void LogMetrics(string experimentId, string runId, IEnumerable<MetricPoint> points)
    {
        var groups = points.GroupBy(p => p.Key).ToList();
        foreach (var group in groups) TrackingKeys.Validate(group.Key, "metric");
        foreach (var group in groups)
        {
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
    /// <exception cref="ArgumentException">A bad key; nothing is written.</exception>
    public void LogMetricBlock(string experimentId, string runId, string[] keys, ReadOnlySpan<long> steps, ReadOnlySpan<double> values, long timestamp)
    {
        using var files = OpenMetricFiles(experimentId, runId, keys);
        files.Append(steps, values, timestamp);
    }

    /// <summary>
    /// Opens the metric files of <paramref name="keys"/> for appending blocks of rows (see <see cref="MetricFiles"/>); a run
    /// writer keeps them open for the run, rather than opening and closing three files per block.
    /// </summary>
    /// <exception cref="ArgumentException">A bad key; nothing is opened.</exception>
    internal MetricFiles OpenMetricFiles(string experimentId, string runId, string[] keys)
    {
        foreach (string key in keys) TrackingKeys.Validate(key, "metric");
        return new MetricFiles(keys.Select(key => KeyPath(experimentId, runId, "metrics", key)).ToArray());
    }

    /// <summary>Writes <paramref name="value"/> as the file store spells it (whole numbers as integers, else round-trip; nan, inf, -inf); returns the length.</summary>
    internal static int FormatValue(double value, Span<byte> destination)
    {
        ReadOnlySpan<byte> special = double.IsNaN(value) ? "nan"u8 : double.IsPositiveInfinity(value) ? "inf"u8 : double.IsNegativeInfinity(value) ? "-inf"u8 : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(destination);
            return special.Length;
        }
        // Whole numbers (returns of 0/1, episode lengths) are common and print as integers far faster than "R" does.
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15 && !(value == 0 && double.IsNegative(value)))
        {
            ((long)value).TryFormat(destination, out int digits, default, CultureInfo.InvariantCulture);
            return digits;
        }
        value.TryFormat(destination, out int written, "R", CultureInfo.InvariantCulture);
        return written;
    }

    /// <summary>Copies <paramref name="file"/> into the run's artifacts as <paramref name="artifactPath"/> (relative, '/' separated).</summary>
    /// <exception cref="ArgumentException">The artifact path is absolute, has '.', '..' or empty parts, or bad characters.</exception>
    public void LogArtifact(string experimentId, string runId, string file, string artifactPath)
    {
        TrackingKeys.ValidateArtifactPath(artifactPath);
        string run = RunDirectory(experimentId, runId);
        string target = Path.Combine(run, "artifacts", Path.Combine(artifactPath.Split('/')));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string temporary = Path.Combine(run, $".{Guid.NewGuid():N}.tmp");
        File.Copy(file, temporary, overwrite: false); // a new name: no truncation (see WriteAtomically)
        File.Move(temporary, target, overwrite: true);
    }

    /// <summary>Ends the run with <paramref name="state"/> at <paramref name="endTime"/> (Unix ms).</summary>
    public void EndRun(string experimentId, string runId, RunState state, long endTime) => RewriteRunMeta(experimentId, runId, state, endTime);

    /// <summary>Marks an ended run RUNNING again (a resumed run), with no end time.</summary>
    public void Reopen(string experimentId, string runId) => RewriteRunMeta(experimentId, runId, RunState.Running, endTime: null);

    /// <summary>Rewrites a run's meta.yaml with a new state and end time, keeping what it says of the rest.</summary>
    private void RewriteRunMeta(string experimentId, string runId, RunState state, long? endTime)
    {
        // The replaced meta.yaml stays open across the rename over it and is closed on a pool thread: the last close
        // frees its blocks, and on a disk mounted with `discard` (as this project's VMs are) that waits for the device
        // to trim them, ~0.35 ms that would otherwise be the largest part of ending a run.
        var replaced = File.OpenHandle(Path.Combine(RunDirectory(experimentId, runId), "meta.yaml"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            // Read back, not taken from the writer's memory: a run renamed in MLflow's UI while it ran keeps its new name.
            var meta = ParseMeta(ReadText(replaced));
            WriteRunMeta(experimentId, runId, meta["run_name"], state, long.Parse(meta["start_time"], CultureInfo.InvariantCulture), endTime, meta.GetValueOrDefault("user_id", ""));
        }
        finally
        {
            ThreadPool.UnsafeQueueUserWorkItem(static handle => handle.Dispose(), replaced, preferLocal: false);
        }
    }

    /// <summary>The whole of a small file, as UTF-8 text.</summary>
    private static string ReadText(SafeFileHandle file)
    {
        var bytes = new byte[checked((int)RandomAccess.GetLength(file))];
        int read = 0;
        while (read < bytes.Length && RandomAccess.Read(file, bytes.AsSpan(read), read) is var count and > 0) read += count;
        return Encoding.UTF8.GetString(bytes, 0, read);
    }

    /// <summary>The folder of a run.</summary>
    /// <exception cref="ArgumentException">The ids do not have MLflow's shapes (a file-store experiment id is all digits).</exception>
    public string RunDirectory(string experimentId, string runId)
    {
        if (!TrackingKeys.IsRunId(runId))
            throw new ArgumentException($"Invalid run id '{runId}': a run id matches ^[a-zA-Z0-9][\\w\\-]{{0,255}}$.", nameof(runId));
        return Path.Combine(ExperimentDirectory(experimentId), runId);
    }

    /// <summary>A run's meta.yaml as key/value strings (quotes removed).</summary>
    public IReadOnlyDictionary<string, string> ReadRunMeta(string experimentId, string runId) =>
        ReadMeta(Path.Combine(RunDirectory(experimentId, runId), "meta.yaml"));

    /// <summary>Python <c>float()</c> spelling: <c>nan</c>, <c>inf</c>, <c>-inf</c>; otherwise the shortest round-trip decimal.</summary>
    public static string FormatValue(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Reads a metric value the way Python's <c>float()</c> does (nan, inf, infinity, either case and sign).</summary>
    internal static double ParseValue(string text)
    {
        string lower = text.Trim().ToLowerInvariant();
        string unsigned = lower.TrimStart('+', '-');
        bool negative = lower.StartsWith('-');
        if (unsigned == "nan") return double.NaN;
        if (unsigned is "inf" or "infinity") return negative ? double.NegativeInfinity : double.PositiveInfinity;
        return double.Parse(lower, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Everything a run holds, as read back from its folder (for <see cref="RestStore.PushAsync"/>).</summary>
    internal LocalRun ReadRun(string experimentId, string runId)
    {
        string run = RunDirectory(experimentId, runId);
        if (!File.Exists(Path.Combine(run, "meta.yaml"))) throw new ArgumentException($"'{run}' is not a run of the file store {Root} (it has no meta.yaml).");
        var experiment = ReadMeta(Path.Combine(ExperimentDirectory(experimentId), "meta.yaml"));
        var metrics = new List<MetricPoint>();
        foreach (var (key, file) in KeyFiles(Path.Combine(run, "metrics")))
        {
            foreach (string line in File.ReadLines(file))
            {
                if (line.Length == 0) continue;
                string[] parts = line.Split(' ');
                metrics.Add(new MetricPoint(key, ParseValue(parts[1]), parts.Length > 2 ? long.Parse(parts[2], CultureInfo.InvariantCulture) : 0,
                    long.Parse(parts[0], CultureInfo.InvariantCulture)));
            }
        }
        string artifacts = Path.Combine(run, "artifacts");
        var artifactFiles = Directory.Exists(artifacts)
            ? Directory.GetFiles(artifacts, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => (File: f, ArtifactPath: Path.GetRelativePath(artifacts, f).Replace(Path.DirectorySeparatorChar, '/'))).ToList()
            : [];
        return new LocalRun(experiment.GetValueOrDefault("name", experimentId), ReadRunMeta(experimentId, runId),
            KeyFiles(Path.Combine(run, "params")).ToDictionary(p => p.Key, p => File.ReadAllText(p.File)),
            KeyFiles(Path.Combine(run, "tags")).ToDictionary(p => p.Key, p => File.ReadAllText(p.File)),
            metrics, artifactFiles);
    }

    Task<string> ITrackingStore.GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken) =>
        Complete(() => GetOrCreateExperiment(name), cancellationToken);

    Task<RunInfo> ITrackingStore.StartRunAsync(string experimentId, string runName, IReadOnlyDictionary<string, string> tags, long startTime,
        string? parentRunId, CancellationToken cancellationToken) => Complete(() =>
    {
        string runId = CreateRun(experimentId, runName, RunTags(tags, parentRunId), startTime, RunUser(tags));
        return RunInfoOf(experimentId, runId);
    }, cancellationToken);

    /// <summary>A new run's tags: <paramref name="tags"/> and, for a child run, <c>mlflow.parentRunId</c>.</summary>
    internal static Dictionary<string, string> RunTags(IReadOnlyDictionary<string, string> tags, string? parentRunId)
    {
        var allTags = new Dictionary<string, string>(tags);
        if (parentRunId is not null) allTags["mlflow.parentRunId"] = parentRunId;
        return allTags;
    }

    /// <summary>A new run's user: the <c>mlflow.user</c> tag, else the account running this process.</summary>
    internal static string RunUser(IReadOnlyDictionary<string, string> tags) => tags.GetValueOrDefault("mlflow.user") ?? Environment.UserName;

    Task ITrackingStore.LogBatchAsync(RunInfo run, IReadOnlyList<MetricPoint> metrics, IReadOnlyCollection<KeyValuePair<string, string>> parameters,
        IReadOnlyCollection<KeyValuePair<string, string>> tags, CancellationToken cancellationToken) => Complete(() =>
    {
        // Everything is checked before anything is written, so a refused batch leaves the run as it was.
        var batchParams = new Dictionary<string, string>();
        foreach (var (key, value) in parameters)
        {
            CheckParam(run.ExperimentId, run.RunId, key, value);
            if (!batchParams.TryAdd(key, value) && batchParams[key] != value)
                throw new InvalidOperationException($"Param '{key}' appears twice in one batch, as '{batchParams[key]}' and '{value}'; MLflow params cannot change.");
        }
        foreach (var (key, value) in tags)
        {
            TrackingKeys.Validate(key, "tag");
            TrackingKeys.ValidateTagValue(key, value);
        }
        foreach (var metric in metrics) TrackingKeys.Validate(metric.Key, "metric");
        foreach (var (key, value) in parameters) WriteRunFile(run.ExperimentId, run.RunId, "params", key, value);
        LogMetrics(run.ExperimentId, run.RunId, metrics);
        foreach (var (key, value) in tags) WriteRunFile(run.ExperimentId, run.RunId, "tags", key, value);
        return true;
    }, cancellationToken);

    Task ITrackingStore.LogArtifactAsync(RunInfo run, string file, string artifactPath, CancellationToken cancellationToken) =>
        Complete(() =>
        {
            LogArtifact(run.ExperimentId, run.RunId, file, artifactPath);
            return true;
        }, cancellationToken);

    /// <summary>The id of the experiment holding run <paramref name="runId"/>, or null when none does (deleted runs are under .trash) or it is not a run id.</summary>
    public string? ExperimentOf(string runId) => ExperimentOf(Root, runId);

    /// <summary>
    /// The id of the experiment of the file store at <paramref name="root"/> holding run <paramref name="runId"/>, or
    /// null; unlike opening a <see cref="FileStore"/>, this writes nothing when <paramref name="root"/> is not a store.
    /// </summary>
    public static string? ExperimentOf(string root, string runId) =>
        !TrackingKeys.IsRunId(runId) || !Directory.Exists(root) ? null
        : Directory.EnumerateDirectories(root).Select(Path.GetFileName)
            .FirstOrDefault(id => id is { Length: > 0 } && id.All(char.IsAsciiDigit) && File.Exists(Path.Combine(root, id, runId, "meta.yaml")));

    Task<ExistingRun> ITrackingStore.ResumeRunAsync(string runId, CancellationToken cancellationToken) => Complete(() =>
    {
        if (!TrackingKeys.IsRunId(runId))
            throw new TrackingException($"Invalid run id '{runId}': a run id matches ^[a-zA-Z0-9][\\w\\-]{{0,255}}$.", isTransient: false);
        if (ExperimentOf(runId) is not { } experimentId)
            throw new TrackingException($"Run '{runId}' does not exist in the file store {Root} (deleted runs are under .trash and cannot be resumed).", isTransient: false);
        Reopen(experimentId, runId);
        var meta = ReadRunMeta(experimentId, runId);
        return new ExistingRun(RunInfoOf(experimentId, runId), meta["run_name"], long.Parse(meta["start_time"], CultureInfo.InvariantCulture), meta.GetValueOrDefault("user_id", ""));
    }, cancellationToken);

    Task ITrackingStore.EndRunAsync(RunInfo run, RunState state, long endTime, CancellationToken cancellationToken) =>
        Complete(() =>
        {
            EndRun(run.ExperimentId, run.RunId, state, endTime);
            return true;
        }, cancellationToken);

    /// <summary>Nothing to release: a file store holds no open handles between calls.</summary>
    void IDisposable.Dispose()
    {
    }

    /// <summary>The <see cref="RunInfo"/> of a run of this store.</summary>
    internal RunInfo RunInfoOf(string experimentId, string runId) =>
        new(experimentId, runId, new Uri(Path.Combine(RunDirectory(experimentId, runId), "artifacts")).AbsoluteUri);

    private static Task<T> Complete<T>(Func<T> write, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<T>(cancellationToken);
        try
        {
            return Task.FromResult(write());
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    private void CheckParam(string experimentId, string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "param");
        TrackingKeys.ValidateParamValue(key, value);
        string path = KeyPath(experimentId, runId, "params", key);
        if (File.Exists(path) && File.ReadAllText(path) is var logged && logged != value)
            throw new InvalidOperationException($"Param '{key}' was already logged as '{logged}'; MLflow params cannot change (tried '{value}').");
    }

    private void WriteRunFile(string experimentId, string runId, string kind, string key, string value)
    {
        string path = KeyPath(experimentId, runId, kind, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The temp file sits in the run folder, where MLflow never looks, so a crash cannot leave a stray param or tag.
        WriteAtomically(path, value, RunDirectory(experimentId, runId));
    }

    private string ExperimentDirectory(string experimentId)
    {
        if (experimentId.Length == 0 || !experimentId.All(char.IsAsciiDigit))
            throw new ArgumentException($"Invalid experiment id '{experimentId}': file-store experiment ids are digits.", nameof(experimentId));
        return Path.Combine(Root, experimentId);
    }

    private string KeyPath(string experimentId, string runId, string kind, string key) =>
        Path.Combine(RunDirectory(experimentId, runId), kind, Path.Combine(key.Split('/')));

    /// <summary>The oldest active experiment named <paramref name="name"/> (creation time, then id), or null.</summary>
    private string? FindExperiment(string name)
    {
        (long Created, string Id)? best = null;
        foreach (string directory in Directory.EnumerateDirectories(Root))
        {
            string id = Path.GetFileName(directory);
            if (id.Length == 0 || !id.All(char.IsAsciiDigit)) continue;
            IReadOnlyDictionary<string, string> meta;
            try
            {
                string path = Path.Combine(directory, "meta.yaml");
                if (!File.Exists(path)) continue;
                meta = ReadMeta(path);
            }
            catch (IOException)
            {
                continue;
            }
            if (meta.GetValueOrDefault("name") != name || meta.GetValueOrDefault("lifecycle_stage", "active") != "active") continue;
            long created = long.TryParse(meta.GetValueOrDefault("creation_time"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long c) ? c : long.MaxValue;
            if (best is not { } b || created < b.Created || (created == b.Created && string.CompareOrdinal(id, b.Id) < 0)) best = (created, id);
        }
        return best?.Id;
    }

    private void WriteExperiment(string id, string name, long now)
    {
        string directory = Path.Combine(Root, id);
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, "meta.yaml"),
            $"artifact_location: {Quote(new Uri(directory).AbsoluteUri)}\ncreation_time: {now}\nexperiment_id: {Quote(id)}\nlast_update_time: {now}\nlifecycle_stage: active\nname: {Quote(name)}\n",
            directory);
    }

    /// <summary>
    /// A running run's next meta.yaml (normally its end) is written into this empty file, made beforehand, and renamed
    /// over meta.yaml: so ending a run creates no file on the way out of training (0.2-0.7 ms each on this project's
    /// disks: ext4 skips recently deleted inodes one by one). MLflow ignores it, like any other file beside meta.yaml.
    /// </summary>
    internal const string NextRunMetaFile = ".meta.yaml.next";

    private void WriteRunMeta(string experimentId, string runId, string runName, RunState state, long startTime, long? endTime, string userId)
    {
        string run = RunDirectory(experimentId, runId);
        string artifactUri = new Uri(Path.Combine(run, "artifacts")).AbsoluteUri;
        string meta = Path.Combine(run, "meta.yaml"), next = Path.Combine(run, NextRunMetaFile);
        string text =
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
            $"user_id: {Quote(userId)}\n";
        if (!TryReplaceWithPrepared(meta, text, next))
        {
            WriteAtomically(meta, text, run);
            IgnoringFailure(() => File.Delete(next)); // a crashed or racing writer's written one, if any
        }
        // Made new, never truncated in place: another writer of this run may be about to rename the one it filled.
        if (state == RunState.Running) IgnoringFailure(() => new FileStream(next, FileMode.CreateNew, FileAccess.Write).Dispose());
    }

    /// <summary>Runs <paramref name="bookkeeping"/> on the prepared file, which only saves time: meta.yaml is written already, and a failure here must not say otherwise.</summary>
    private static void IgnoringFailure(Action bookkeeping)
    {
        try
        {
            bookkeeping();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void WriteAtomically(string path, string text, string temporaryDirectory)
    {
        string temporary = Path.Combine(temporaryDirectory, $".{Guid.NewGuid():N}.tmp");
        // Made new, as its name is: on Unix, .NET opens a FileMode.Create file without O_TRUNC and truncates it after
        // locking, and that ftruncate is a journalled ext4 operation (~50 us a file here, and a run writes ~25 of them).
        using (var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            RandomAccess.Write(handle, Encoding.UTF8.GetBytes(text), 0);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="text"/> into the empty file <paramref name="prepared"/> and renames it over <paramref name="path"/>; false (nothing changed) when there is no such file.</summary>
    private static bool TryReplaceWithPrepared(string path, string text, string prepared)
    {
        try
        {
            using (var handle = File.OpenHandle(prepared, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                // Not truncated (ext4 starts writing back a file truncated to zero when it is closed): it must be empty.
                if (RandomAccess.GetLength(handle) != 0) return false;
                RandomAccess.Write(handle, Encoding.UTF8.GetBytes(text), 0);
            }
            // A rename over meta.yaml, not a swap of the two names (renameat2 RENAME_EXCHANGE, 5x cheaper on ext4): the
            // rename makes ext4 start writing the new file out first (0.15-0.4 ms here), and a swap would skip that,
            // leaving ~30 s in which a power loss empties meta.yaml.
            File.Move(prepared, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // missing (not prepared, or taken by another writer of this run), locked or not ours: a new temporary file serves
        }
    }

    private static IReadOnlyDictionary<string, string> ReadMeta(string path) => ParseMeta(File.ReadAllText(path));

    /// <summary>The top-level <c>key: value</c> lines of a meta.yaml (quotes removed).</summary>
    private static Dictionary<string, string> ParseMeta(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0 && line[0] != ' ') values[line[..colon].ToString()] = Unquote(line[(colon + 2)..].ToString());
        }
        return values;
    }

    /// <summary>The files under <paramref name="folder"/> with their keys ('/'-joined relative paths), in key order.</summary>
    private static IEnumerable<(string Key, string File)> KeyFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
                .Select(f => (Key: Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'), File: f))
                .OrderBy(p => p.Key, StringComparer.Ordinal)
            : [];

    /// <summary>A YAML single-quoted string (quotes doubled), so an all-digit id stays a string.</summary>
    internal static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '\'' && value[^1] == '\'' ? value[1..^1].Replace("''", "'")
        : value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Replace("\\\"", "\"").Replace("\\\\", "\\")
        : value;

    /// <summary>A machine-wide named mutex per store root, so processes creating experiments take turns.</summary>
    private sealed class CrossProcessLock : IDisposable
    {
        private readonly Mutex? _mutex;

        private CrossProcessLock(Mutex? mutex) => _mutex = mutex;

        public static CrossProcessLock Acquire(string root)
        {
            string name = "Global\\qforge-mlruns-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..32];
            Mutex mutex;
            try
            {
                mutex = new Mutex(initiallyOwned: false, name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or WaitHandleCannotBeOpenedException)
            {
                return new CrossProcessLock(null); // no shared memory for named mutexes here: the re-read still settles races
            }
            try
            {
                mutex.WaitOne();
            }
            catch (AbandonedMutexException)
            {
                // A process died holding it; the mutex is now ours.
            }
            return new CrossProcessLock(mutex);
        }

        public void Dispose()
        {
            if (_mutex is null) return;
            _mutex.ReleaseMutex();
            _mutex.Dispose();
        }
    }
}

/// <summary>A file-store run read back: meta.yaml, params, tags, metric values (per key, in file order) and artifact files.</summary>
internal sealed record LocalRun(string ExperimentName, IReadOnlyDictionary<string, string> Meta, Dictionary<string, string> Params,
    Dictionary<string, string> Tags, List<MetricPoint> Metrics, List<(string File, string ArtifactPath)> Artifacts);
