using System.Threading.Channels;

namespace QForge.Tracking;

/// <summary>
/// One MLflow run being written. Logging calls only enqueue (training never waits on I/O); a background consumer
/// batches metrics and writes them to the store. <see cref="EndAsync"/> drains the queue and ends the run with its
/// status. A write that fails is kept, not thrown into training, and reported by <see cref="EndAsync"/>.
/// </summary>
public sealed class TrackedRun
{
    private readonly FileStore _store;
    private readonly TimeProvider _time;
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _consumer;
    private readonly List<string> _errors = [];

    private TrackedRun(FileStore store, string experimentId, string runId, TimeProvider time)
    {
        _store = store;
        ExperimentId = experimentId;
        RunId = runId;
        _time = time;
        _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>The MLflow experiment id.</summary>
    public string ExperimentId { get; }

    /// <summary>The MLflow run id.</summary>
    public string RunId { get; }

    /// <summary>The run's folder in the store.</summary>
    public string Directory => _store.RunDirectory(ExperimentId, RunId);

    /// <summary>Starts a run in the experiment named <paramref name="experimentName"/> (created if needed).</summary>
    public static TrackedRun Start(FileStore store, string experimentName, string runName, IReadOnlyDictionary<string, string> tags, TimeProvider time)
    {
        string experimentId = store.GetOrCreateExperiment(experimentName);
        string runId = store.CreateRun(experimentId, runName, tags, time.GetUtcNow().ToUnixTimeMilliseconds(), Environment.UserName);
        return new TrackedRun(store, experimentId, runId, time);
    }

    /// <summary>Reopens a run (after a resume) and marks it RUNNING again.</summary>
    public static TrackedRun Reopen(FileStore store, string experimentId, string runId, TimeProvider time)
    {
        store.Reopen(experimentId, runId);
        return new TrackedRun(store, experimentId, runId, time);
    }

    private readonly List<MetricSeries> _series = [];

    /// <summary>
    /// A set of metrics logged together per step through preallocated blocks: the cheapest way to log every episode
    /// (see <see cref="MetricSeries"/>).
    /// </summary>
    public MetricSeries CreateSeries(string[] keys, int blockSize = 4096)
    {
        var series = new MetricSeries(this, keys, blockSize);
        lock (_series) _series.Add(series);
        return series;
    }

    internal void Enqueue(MetricSeries.Block block) => _queue.Writer.TryWrite(block);

    internal long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Queues params.</summary>
    public void LogParams(IReadOnlyDictionary<string, string> parameters) => _queue.Writer.TryWrite(new ParamsItem(parameters));

    /// <summary>Queues a metric value at <paramref name="step"/>, timestamped now.</summary>
    public void LogMetric(string key, double value, long step) =>
        _queue.Writer.TryWrite(new MetricPoint(key, value, step, _time.GetUtcNow().ToUnixTimeMilliseconds()));

    /// <summary>Queues a tag.</summary>
    public void SetTag(string key, string value) => _queue.Writer.TryWrite(new TagItem(key, value));

    /// <summary>Queues a copy of <paramref name="file"/> into the run's artifacts (the file must stay until <see cref="EndAsync"/>).</summary>
    public void LogArtifact(string file, string artifactPath) => _queue.Writer.TryWrite(new ArtifactItem(file, artifactPath));

    /// <summary>Writes everything queued, ends the run with <paramref name="state"/>, and returns the problems met (empty when all went well).</summary>
    public async Task<IReadOnlyList<string>> EndAsync(RunState state)
    {
        lock (_series)
            foreach (var series in _series) series.Flush();
        _queue.Writer.TryComplete();
        await _consumer;
        try
        {
            _store.EndRun(ExperimentId, RunId, state, _time.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _errors.Add($"ending the run: {e.Message}");
        }
        return _errors;
    }

    private async Task ConsumeAsync()
    {
        var metrics = new List<MetricPoint>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (reader.TryRead(out var item))
            {
                if (item is MetricPoint point)
                {
                    metrics.Add(point);
                    if (metrics.Count < 1000) continue;
                }
                Flush(metrics);
                if (item is MetricSeries.Block block) WriteBlock(block);
                else if (item is not MetricPoint) Write(item);
            }
            Flush(metrics);
        }
        Flush(metrics);
    }

    private void Flush(List<MetricPoint> metrics)
    {
        if (metrics.Count == 0) return;
        Guard("metrics", () => _store.LogMetrics(ExperimentId, RunId, metrics));
        metrics.Clear();
    }

    private void WriteBlock(MetricSeries.Block block)
    {
        var keys = block.Series.Keys;
        Guard("metrics", () => _store.LogMetricBlock(ExperimentId, RunId, keys, block.Steps.AsSpan(0, block.Count), block.Values.AsSpan(0, block.Count * keys.Length), block.Timestamp));
        block.Series.Recycle(block);
    }

    private void Write(object item)
    {
        switch (item)
        {
            case ParamsItem p:
                Guard("params", () =>
                {
                    foreach (var (key, value) in p.Parameters) _store.LogParam(ExperimentId, RunId, key, value);
                });
                break;
            case TagItem t:
                Guard($"tag {t.Key}", () => _store.SetTag(ExperimentId, RunId, t.Key, t.Value));
                break;
            case ArtifactItem a:
                Guard($"artifact {a.ArtifactPath}", () => _store.LogArtifact(ExperimentId, RunId, a.File, a.ArtifactPath));
                break;
        }
    }

    private void Guard(string what, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            lock (_errors) _errors.Add($"{what}: {e.Message}");
        }
    }

    private sealed record ParamsItem(IReadOnlyDictionary<string, string> Parameters);

    private sealed record TagItem(string Key, string Value);

    private sealed record ArtifactItem(string File, string ArtifactPath);
}
