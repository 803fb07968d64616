using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;

namespace QForge.Tracking;

/// <summary>How a <see cref="TrackedRun"/> starts and where it spools.</summary>
public sealed class TrackedRunOptions
{
    /// <summary>The clock for start, end and metric timestamps.</summary>
    /// <value><see cref="TimeProvider.System"/>.</value>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The parent run (the tag <c>mlflow.parentRunId</c>: a sweep's trial under the sweep's run).</summary>
    /// <value>None.</value>
    public string? ParentRunId { get; init; }

    /// <summary>
    /// The id of the experiment to start the run in (<c>MLFLOW_EXPERIMENT_ID</c>): the experiment name is then only used
    /// to name a spool's experiment, and the experiment is not looked up or created.
    /// </summary>
    /// <value>None: the experiment is found or created by name.</value>
    public string? ExperimentId { get; init; }

    /// <summary>The file store that receives the run's records when its tracking server stays unreachable.</summary>
    /// <value><c>mlruns</c>, relative to the working directory.</value>
    public string SpoolRoot { get; init; } = TrackingUri.DefaultFileStoreRoot;
}

/// <summary>
/// One MLflow run being written: the object training logs to. Logging calls check their keys (a bad key throws at
/// once) and only enqueue, so training never waits on I/O; a writer thread of the run's own batches the records and writes them
/// to the store. <see cref="EndAsync"/> (or disposal, which ends the run FAILED if it was not ended) drains the queue
/// and ends the run with its status: a run always ends with one. Write failures are never thrown into training: they
/// are returned by <see cref="EndAsync"/>. If a tracking server stays unreachable through its retries, nothing is lost:
/// the run's params and tags and every record not yet delivered go to a run in a local file store
/// (<see cref="TrackedRunOptions.SpoolRoot"/>), named by <see cref="SpoolDirectory"/>, for <see cref="RestStore.PushAsync"/>.
/// </summary>
public sealed class TrackedRun : IAsyncDisposable
{
    private const int MaxMetricsPerWrite = 10_000;

    private readonly ITrackingStore _store;
    private readonly RunInfo? _run;
    private readonly string _experimentName;
    private readonly string _runName;
    private readonly string _userId;
    private readonly long _startTime;
    private readonly TimeProvider _time;
    private readonly string _spoolRoot;
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    // Full metric blocks wait here without waking the writer: a wake costs the training thread ~40 us on these VMs
    // (an inter-processor interrupt through the hypervisor). The writer collects them when its wait times out.
    private readonly ConcurrentQueue<MetricSeries.Block> _blocks = new();
    // Set when something is queued (and at the end); the writer sleeps on it (see WriteLoop). No spinning: the writer's
    // spinning would slow the training thread on the other core.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    // The run has a metric series: the writer wakes every BlockCollectionInterval to collect its blocks.
    private volatile bool _collecting;
    // Each series' metric files in a file store, open until the writer ends (touched only under _writing).
    private readonly Dictionary<MetricSeries, MetricFiles> _metricFiles = [];
    private volatile bool _blocksClosed;
    // Whoever writes holds this: the writer thread while the run goes on, EndAsync's caller for what is left at the end (so
    // ending waits for no thread to wake up, ~0.5-1 ms on these VMs). Everything below it is touched only under it.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly PendingWrites _pending = new();
    // A file-store run's folders, meta.yaml and tags: the first write, by whoever writes first.
    private Action? _completeRun;
    private bool _writerFailed;
    private bool _allWritten;
    private readonly List<string> _problems = [];
    private readonly List<MetricSeries> _series = [];
    private readonly ConcurrentDictionary<string, bool> _checkedMetricKeys = new();
    private readonly Lock _endLock = new();

    // Every param and tag queued so far (touched only under _writing): a spool run starts with them.
    private readonly Dictionary<string, string> _params = [];
    private readonly Dictionary<string, string> _tags;

    private Task<IReadOnlyList<string>>? _ending;
    private FileStore? _spoolStore;
    private RunInfo? _spoolRun;
    private volatile string? _spoolDirectory;
    private volatile TrackingDelivery _delivery = TrackingDelivery.Writing;
    private int _lostRecords;
    private bool _refused;

    private TrackedRun(ITrackingStore store, RunInfo? run, string experimentName, string runName, IReadOnlyDictionary<string, string> tags,
        long startTime, TrackedRunOptions options, string? unreachable, Action? completeRun = null)
    {
        _store = store;
        _run = run;
        _experimentName = experimentName;
        _runName = runName;
        _userId = FileStore.RunUser(tags);
        _startTime = startTime;
        _time = options.Time;
        _spoolRoot = options.SpoolRoot;
        _tags = new Dictionary<string, string>(tags) { ["mlflow.runName"] = runName };
        if (options.ParentRunId is not null) _tags["mlflow.parentRunId"] = options.ParentRunId;
        if (run is null && !TryOpenSpool(unreachable ?? "no run"))
            throw new IOException($"The tracking store {store.Location} could not be reached ({unreachable}), and no local spool run could be made under {_spoolRoot}: {string.Join(" ", _problems)}");
        _completeRun = completeRun;
        // Started from the pool: Thread.Start returns only once the new thread runs, which the caller need not wait for.
        ThreadPool.UnsafeQueueUserWorkItem(static run => new Thread(run.WriteLoop) { IsBackground = true, Name = "QForge tracking writer" }.Start(),
            this, preferLocal: false);
    }

    /// <summary>The run's experiment id (in the local spool store when the server could not be reached at the start).</summary>
    public string ExperimentId => (_run ?? _spoolRun!).ExperimentId;

    /// <summary>The run id (in the local spool store when the server could not be reached at the start).</summary>
    public string RunId => (_run ?? _spoolRun!).RunId;

    /// <summary>
    /// The run's local folder: its folder in a file store, or its spool run's folder. A new file-store run's folder is
    /// made by the writer, beside training: it may not exist yet when <see cref="Start"/> returns, and does once the run has ended.
    /// </summary>
    /// <exception cref="InvalidOperationException">The run lives on a tracking server and was not spooled: it has no local folder.</exception>
    public string Directory => _store is FileStore files && _run is not null ? files.RunDirectory(_run.ExperimentId, _run.RunId)
        : _spoolDirectory ?? throw new InvalidOperationException($"Run {RunId} lives on {_store.Location} and has no local folder.");

    /// <summary>The local run holding what the unreachable server did not get, or null when nothing was spooled.</summary>
    public string? SpoolDirectory => _spoolDirectory;

    /// <summary>Where the records ended up; <see cref="TrackingDelivery.Writing"/> until <see cref="EndAsync"/> completes.</summary>
    public TrackingDelivery Delivery => _delivery;

    /// <summary>Starts a run in the experiment named <paramref name="experimentName"/> of a file store (created if needed).</summary>
    public static TrackedRun Start(FileStore store, string experimentName, string runName, IReadOnlyDictionary<string, string> tags, TimeProvider time)
    {
        var options = new TrackedRunOptions { Time = time };
        return StartInFileStore(store, store.GetOrCreateExperiment(experimentName), experimentName, runName, tags, options);
    }

    /// <summary>
    /// Starts a file-store run with only its checks made here: its folders, meta.yaml and tags are the writer's first
    /// job (or the end's, if the writer has not run by then), so training starts ~2-3 ms sooner (each file or folder
    /// created costs 0.2-0.7 ms on this project's disks).
    /// </summary>
    private static TrackedRun StartInFileStore(FileStore store, string experimentId, string experimentName, string runName,
        IReadOnlyDictionary<string, string> tags, TrackedRunOptions options)
    {
        var allTags = FileStore.RunTags(tags, options.ParentRunId);
        string userId = FileStore.RunUser(tags);
        long startTime = options.Time.GetUtcNow().ToUnixTimeMilliseconds();
        string runId = store.ReserveRun(experimentId, runName, allTags, userId);
        return new TrackedRun(store, store.RunInfoOf(experimentId, runId), experimentName, runName, tags, startTime, options, null,
            () => store.CompleteRun(experimentId, runId, runName, allTags, startTime, userId));
    }

    /// <summary>
    /// Starts a run in the experiment named <paramref name="experimentName"/> of <paramref name="store"/> (created if
    /// needed). When a tracking server cannot be reached even after its retries, the run starts in the local spool
    /// store instead (see <see cref="SpoolDirectory"/>) rather than failing.
    /// </summary>
    /// <exception cref="ArgumentException">A bad experiment name, run name, tag key or tag value.</exception>
    /// <exception cref="TrackingException">The server refused to create the experiment or the run.</exception>
    /// <exception cref="IOException">The server could not be reached and no spool run could be made either.</exception>
    public static async Task<TrackedRun> StartAsync(ITrackingStore store, string experimentName, string runName, IReadOnlyDictionary<string, string> tags,
        TrackedRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TrackedRunOptions();
        TrackingKeys.ValidateExperimentName(experimentName);
        TrackingKeys.ValidateSingleLine(runName, "run name");
        foreach (var (key, value) in tags)
        {
            TrackingKeys.Validate(key, "tag");
            TrackingKeys.ValidateTagValue(key, value);
        }
        if (store is FileStore files)
            return StartInFileStore(files, options.ExperimentId ?? files.GetOrCreateExperiment(experimentName), experimentName, runName, tags, options);
        long startTime = options.Time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            string experimentId = options.ExperimentId ?? await store.GetOrCreateExperimentAsync(experimentName, cancellationToken).ConfigureAwait(false);
            var run = await store.StartRunAsync(experimentId, runName, tags, startTime, options.ParentRunId, cancellationToken).ConfigureAwait(false);
            return new TrackedRun(store, run, experimentName, runName, tags, startTime, options, null);
        }
        catch (TrackingException e) when (e.IsTransient)
        {
            return new TrackedRun(store, null, experimentName, runName, tags, startTime, options, e.Message);
        }
    }

    /// <summary>
    /// Reopens the existing run <paramref name="runId"/> of <paramref name="store"/> and marks it RUNNING (a resumed
    /// training run, a resumed sweep, or the run named by <c>MLFLOW_RUN_ID</c>). When a tracking server cannot be
    /// reached even after its retries, the records go to a new local spool run tagged <c>qforge.resumed_from</c>
    /// instead, in an experiment named <paramref name="experimentName"/>.
    /// </summary>
    /// <exception cref="TrackingException">The run does not exist or is deleted.</exception>
    public static async Task<TrackedRun> ResumeAsync(ITrackingStore store, string runId, string experimentName, TrackedRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new TrackedRunOptions();
        try
        {
            var existing = await store.ResumeRunAsync(runId, cancellationToken).ConfigureAwait(false);
            var tags = new Dictionary<string, string> { ["mlflow.user"] = existing.UserId };
            return new TrackedRun(store, existing.Info, experimentName, existing.RunName, tags, existing.StartTime, options, null);
        }
        catch (TrackingException e) when (e.IsTransient)
        {
            var tags = new Dictionary<string, string> { ["qforge.resumed_from"] = runId };
            return new TrackedRun(store, null, experimentName, $"resumed-{runId}", tags, options.Time.GetUtcNow().ToUnixTimeMilliseconds(), options, e.Message);
        }
    }

    /// <summary>
    /// A set of metrics logged together per step through preallocated blocks: the cheapest way to log every episode
    /// (see <see cref="MetricSeries"/>).
    /// </summary>
    /// <param name="keys">The metric keys, in the order <see cref="MetricSeries.Add"/> takes their values.</param>
    /// <param name="blockSize">
    /// Points per block handed to the writer. What the writer has not collected when the run ends (the last, partial
    /// block and the blocks filled since its last collection) is written by <see cref="EndAsync"/> on its caller's
    /// thread: with 1,024 a FrozenLake run of 200,000 episodes ended in 0.8-1.4 ms, with 4,096 in 1.4-1.6 ms (a larger block
    /// saves the writer a few write calls, which cost training nothing).
    /// </param>
    /// <exception cref="ArgumentException">A bad key.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="blockSize"/> is below 1.</exception>
    public MetricSeries CreateSeries(string[] keys, int blockSize = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        var series = new MetricSeries(this, keys, blockSize);
        lock (_series)
        {
            _series.Add(series);
            _collecting = true;
        }
        _wake.Set(); // a writer asleep with no timeout starts collecting
        return series;
    }

    /// <summary>Queues params (each logged once: a different value for a logged param is refused and reported by <see cref="EndAsync"/>).</summary>
    /// <exception cref="ArgumentException">A bad key, or a value longer than <see cref="TrackingKeys.MaxParamValueLength"/>.</exception>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void LogParams(IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var (key, value) in parameters)
        {
            TrackingKeys.Validate(key, "param");
            TrackingKeys.ValidateParamValue(key, value);
        }
        Enqueue(new ParamsItem(new Dictionary<string, string>(parameters)));
    }

    /// <summary>Queues a metric value at <paramref name="step"/>, timestamped now.</summary>
    /// <exception cref="ArgumentException">A bad key.</exception>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void LogMetric(string key, double value, long step)
    {
        if (!_checkedMetricKeys.ContainsKey(key))
        {
            TrackingKeys.Validate(key, "metric");
            _checkedMetricKeys.TryAdd(key, true);
        }
        Enqueue(new MetricPoint(key, value, step, Now()));
    }

    /// <summary>Queues a tag; a value longer than MLflow keeps (<see cref="TrackingKeys.MaxTagValueLength"/>) is shortened, and <see cref="EndAsync"/> says so.</summary>
    /// <exception cref="ArgumentException">A bad key.</exception>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void SetTag(string key, string value)
    {
        TrackingKeys.Validate(key, "tag");
        if (value.Length > TrackingKeys.MaxTagValueLength)
        {
            AddProblem($"tag '{key}' had {value.Length} characters; MLflow keeps {TrackingKeys.MaxTagValueLength}, so it was shortened to that.");
            value = value[..TrackingKeys.MaxTagValueLength];
        }
        Enqueue(new TagItem(key, value));
    }

    /// <summary>Queues a copy of <paramref name="file"/> into the run's artifacts as <paramref name="artifactPath"/> (the file must stay until <see cref="EndAsync"/>).</summary>
    /// <exception cref="ArgumentException">The artifact path is absolute, has '.', '..' or empty parts, or bad characters.</exception>
    /// <exception cref="InvalidOperationException">The run has ended.</exception>
    public void LogArtifact(string file, string artifactPath)
    {
        TrackingKeys.ValidateArtifactPath(artifactPath);
        Enqueue(new ArtifactItem(file, artifactPath));
    }

    /// <summary>
    /// Writes everything queued, ends the run with <paramref name="state"/>, and returns the problems met (empty when
    /// all went well; a spool is one of them, naming its folder). Calling it again returns the same answer.
    /// </summary>
    public Task<IReadOnlyList<string>> EndAsync(RunState state)
    {
        lock (_endLock) return _ending ??= EndCoreAsync(state);
    }

    /// <summary>Ends the run FAILED unless <see cref="EndAsync"/> ended it already (as MLflow does for a run left by an exception).</summary>
    public async ValueTask DisposeAsync() => await EndAsync(RunState.Failed).ConfigureAwait(false);

    /// <summary>How often the writer collects full metric blocks.</summary>
    internal static readonly TimeSpan BlockCollectionInterval = TimeSpan.FromMilliseconds(2);

    /// <summary>Hands a full block to the writer, which collects it within <see cref="BlockCollectionInterval"/> (or when the run ends).</summary>
    internal void Enqueue(MetricSeries.Block block)
    {
        if (_blocksClosed)
            throw new InvalidOperationException($"Run {RunId} has ended: nothing more can be logged to it.");
        _blocks.Enqueue(block);
    }

    internal long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Enqueue(object item)
    {
        if (!_queue.Writer.TryWrite(item)) throw new InvalidOperationException($"Run {RunId} has ended: nothing more can be logged to it.");
        _wake.Set();
    }

    private (ITrackingStore Store, RunInfo Run) Destination => _spoolRun is not null ? (_spoolStore!, _spoolRun) : (_store, _run!);

    private async Task<IReadOnlyList<string>> EndCoreAsync(RunState state)
    {
        lock (_series)
        {
            foreach (var series in _series)
            {
                try
                {
                    series.FlushLast();
                }
                catch (InvalidOperationException e)
                {
                    // A series broken by misuse (see MetricSeries.Add) must not keep the run from ending.
                    _refused = true;
                    AddProblem($"the metric series ({string.Join(", ", series.Keys)}) could not hand over its last points: {e.Message}");
                }
            }
            _blocksClosed = true;
        }
        _queue.Writer.TryComplete();
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            await WriteQueuedAsync().ConfigureAwait(false);
            foreach (var files in _metricFiles.Values) files.Dispose();
            _metricFiles.Clear();
            _allWritten = true;
        }
        finally
        {
            _writing.Release();
        }
        _wake.Set(); // the writer stops
        long endTime = Now();
        if (await WriteAsync((store, run) => store.EndRunAsync(run, state, endTime)).ConfigureAwait(false) is { } refused)
            Report($"ending the run as {RestStore.StatusName(state)}", refused, records: 0);
        _delivery = _refused || _lostRecords > 0 ? TrackingDelivery.Incomplete : _spoolRun is not null ? TrackingDelivery.Spooled : TrackingDelivery.Delivered;
        lock (_problems) return _problems.ToArray();
    }

    /// <summary>
    /// The writer thread: writes what is queued and the full metric blocks, then sleeps until something more is queued
    /// (or, while the run has a metric series, for <see cref="BlockCollectionInterval"/>), until the run's end has
    /// written the rest. A thread of its own rather than a pool task woken by a timer: a pool worker spins before it
    /// sleeps and the timer is a second thread to wake, and on a 2-core machine either takes from training's core.
    /// </summary>
    private void WriteLoop()
    {
        while (true)
        {
            _writing.Wait();
            try
            {
                if (_allWritten) return;
                // Synchronous for a file store; a server's requests are waited for here, on this thread of the run's own.
                WriteQueuedAsync().GetAwaiter().GetResult();
            }
            finally
            {
                _writing.Release();
            }
            _wake.Wait(_collecting ? BlockCollectionInterval : Timeout.InfiniteTimeSpan);
            // Whatever is queued after this is written by the next pass, or sets the event again.
            _wake.Reset();
        }
    }

    /// <summary>
    /// Writes what the queue holds (first the run's folders, if nobody has yet), then every metric block handed over.
    /// Called under <see cref="_writing"/>.
    /// </summary>
    private async Task WriteQueuedAsync()
    {
        if (_writerFailed)
        {
            Interlocked.Add(ref _lostRecords, DropQueued());
            return;
        }
        try
        {
            if (_completeRun is { } completeRun)
            {
                _completeRun = null;
                try
                {
                    completeRun();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _refused = true;
                    AddProblem($"the run's folders, meta.yaml and tags could not be written: {e.Message}");
                }
            }
            var pending = _pending;
            while (_queue.Reader.TryRead(out object? item))
            {
                switch (item)
                {
                    case MetricPoint point:
                        pending.Metrics.Add(point);
                        break;
                    case ParamsItem parameters:
                        foreach (var (key, value) in parameters.Parameters)
                        {
                            if (!pending.Params.TryAdd(key, value) && pending.Params[key] != value)
                                Report($"param '{key}'", new InvalidOperationException($"Param '{key}' was queued as '{pending.Params[key]}' and then as '{value}'; MLflow params cannot change, the first value is kept."), records: 1);
                            _params.TryAdd(key, value);
                        }
                        break;
                    case TagItem tag:
                        pending.Tags[tag.Key] = tag.Value;
                        _tags[tag.Key] = tag.Value;
                        break;
                    case ArtifactItem artifact:
                        await WritePendingAsync(pending).ConfigureAwait(false);
                        if (await WriteAsync((store, run) => store.LogArtifactAsync(run, artifact.File, artifact.ArtifactPath)).ConfigureAwait(false) is { } refused)
                            Report($"artifact '{artifact.ArtifactPath}'", refused, records: 1);
                        break;
                }
                if (pending.Metrics.Count >= MaxMetricsPerWrite) await WritePendingAsync(pending).ConfigureAwait(false);
            }
            await WriteBlocksAsync(pending).ConfigureAwait(false);
            await WritePendingAsync(pending).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A fault in the writer itself must not reach training: report it and count what it drops (and, from now
            // on, everything logged).
            _writerFailed = true;
            _refused = true;
            int dropped = _pending.Count + DropQueued();
            _pending.Clear();
            Interlocked.Add(ref _lostRecords, dropped);
            AddProblem($"the tracking writer failed ({e.GetType().Name}: {e.Message}); {dropped} queued records and any logged after were dropped.");
        }
    }

    /// <summary>Empties the queue and the handed-over blocks unwritten; returns how many records that dropped.</summary>
    private int DropQueued()
    {
        int dropped = 0;
        while (_queue.Reader.TryRead(out _)) dropped++;
        while (_blocks.TryDequeue(out var block)) dropped += block.Count * block.Series.Keys.Length;
        return dropped;
    }

    /// <summary>Writes the pending params (alone, then one by one if refused, so a conflicting param costs nothing else), then the metric values and tags.</summary>
    private async Task WritePendingAsync(PendingWrites pending)
    {
        if (pending.Params.Count > 0)
        {
            var parameters = pending.Params.ToList();
            if (await WriteAsync((store, run) => store.LogBatchAsync(run, [], parameters, [])).ConfigureAwait(false) is { } refused)
            {
                if (parameters.Count == 1 || refused is TrackingException { IsTransient: true })
                {
                    Report(parameters.Count == 1 ? $"param '{parameters[0].Key}'" : $"{parameters.Count} params", refused, parameters.Count);
                }
                else
                {
                    foreach (var parameter in parameters)
                        if (await WriteAsync((store, run) => store.LogBatchAsync(run, [], [parameter], [])).ConfigureAwait(false) is { } one)
                            Report($"param '{parameter.Key}'", one, records: 1);
                }
            }
        }
        if (pending.Metrics.Count > 0 || pending.Tags.Count > 0)
        {
            var tags = pending.Tags.ToList();
            if (await WriteAsync((store, run) => store.LogBatchAsync(run, pending.Metrics, [], tags)).ConfigureAwait(false) is { } refused)
                Report($"{pending.Metrics.Count} metric values and {tags.Count} tags", refused, pending.Metrics.Count + tags.Count);
        }
        pending.Clear();
    }

    /// <summary>
    /// Runs one write against the destination. When a tracking server stays unreachable, the run moves to a local
    /// spool run and the write is done there. Returns null when written, else why not.
    /// </summary>
    private async Task<Exception?> WriteAsync(Func<ITrackingStore, RunInfo, Task> write)
    {
        while (true)
        {
            var (store, run) = Destination;
            try
            {
                await write(store, run).ConfigureAwait(false);
                return null;
            }
            catch (TrackingException e) when (e.IsTransient && _spoolRun is null)
            {
                if (!TryOpenSpool(e.Message)) return e;
            }
            catch (Exception e) when (e is TrackingException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                return e;
            }
        }
    }

    /// <summary>Writes the full metric blocks handed over so far, in order (to a file store straight from the block; to a server as batched points).</summary>
    private async Task WriteBlocksAsync(PendingWrites pending)
    {
        while (_blocks.TryDequeue(out var block))
        {
            if (Destination.Store is FileStore)
            {
                await WritePendingAsync(pending).ConfigureAwait(false);
                WriteBlock(block);
            }
            else
            {
                if (pending.Metrics.Count >= MaxMetricsPerWrite) await WritePendingAsync(pending).ConfigureAwait(false);
                AddPoints(pending.Metrics, block);
            }
            block.Pool.Return(block); // for reuse by any series of its shape
        }
    }

    private void WriteBlock(MetricSeries.Block block)
    {
        var (store, run) = Destination;
        var keys = block.Series.Keys;
        try
        {
            if (!_metricFiles.TryGetValue(block.Series, out var files))
                _metricFiles[block.Series] = files = ((FileStore)store).OpenMetricFiles(run.ExperimentId, run.RunId, keys);
            files.Append(block.Steps.AsSpan(0, block.Count), block.Values.AsSpan(0, block.Count * keys.Length), block.Timestamp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Report($"{block.Count * keys.Length} metric values", e, block.Count * keys.Length);
        }
    }

    private static void AddPoints(List<MetricPoint> metrics, MetricSeries.Block block)
    {
        var keys = block.Series.Keys;
        for (int row = 0; row < block.Count; row++)
            for (int k = 0; k < keys.Length; k++)
                metrics.Add(new MetricPoint(keys[k], block.Values[row * keys.Length + k], block.Steps[row], block.Timestamp));
    }

    /// <summary>Makes the local spool run: the run's name, start time, tags and params, and where it was meant to go.</summary>
    private bool TryOpenSpool(string reason)
    {
        try
        {
            var spool = new FileStore(_spoolRoot);
            string experimentId = spool.GetOrCreateExperiment(_experimentName);
            var tags = new Dictionary<string, string>(_tags) { [RestStore.RemoteUriTag] = TrackingUri.Redact(_store.Location) };
            if (_run is not null)
            {
                tags[RestStore.RemoteRunIdTag] = _run.RunId;
                tags[RestStore.RemoteExperimentIdTag] = _run.ExperimentId;
            }
            string runId = spool.CreateRun(experimentId, _runName, tags, _startTime, _userId);
            foreach (var (key, value) in _params) spool.LogParam(experimentId, runId, key, value);
            _spoolStore = spool;
            _spoolRun = spool.RunInfoOf(experimentId, runId);
            _spoolDirectory = spool.RunDirectory(experimentId, runId);
            AddProblem($"The tracking server {_store.Location} could not be reached ({reason}). This run's params and tags and every record it had not received are in the local run {_spoolDirectory}; send them with RestStore.PushAsync once the server is back.");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            AddProblem($"The tracking server {_store.Location} could not be reached ({reason}), and spooling under {_spoolRoot} failed too ({e.Message}).");
            return false;
        }
    }

    private void Report(string what, Exception problem, int records)
    {
        if (problem is TrackingException { IsTransient: true })
        {
            Interlocked.Add(ref _lostRecords, records);
            AddProblem($"{what} could not be written anywhere: {problem.Message}");
        }
        else
        {
            _refused = true;
            AddProblem($"{what}: {problem.Message}");
        }
    }

    private void AddProblem(string problem)
    {
        lock (_problems) _problems.Add(problem);
    }

    private sealed record ParamsItem(IReadOnlyDictionary<string, string> Parameters);

    private sealed record TagItem(string Key, string Value);

    private sealed record ArtifactItem(string File, string ArtifactPath);

    /// <summary>Records read from the queue and not yet written.</summary>
    private sealed class PendingWrites
    {
        public List<MetricPoint> Metrics { get; } = [];
        public Dictionary<string, string> Params { get; } = [];
        public Dictionary<string, string> Tags { get; } = [];
        public int Count => Metrics.Count + Params.Count + Tags.Count;

        public void Clear()
        {
            Metrics.Clear();
            Params.Clear();
            Tags.Clear();
        }
    }
}
