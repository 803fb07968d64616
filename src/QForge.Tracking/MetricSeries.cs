using System.Collections.Concurrent;

namespace QForge.Tracking;

/// <summary>
/// A fixed set of metrics logged together at each step (for example return, length and epsilon per episode), written
/// into preallocated blocks on the training thread: adding a point is a few array stores, with no allocation and no
/// synchronisation. A full block is handed to the run's background writer as one item and a recycled block takes its
/// place. Points of one block share the timestamp at which the block was started.
/// </summary>
public sealed class MetricSeries
{
    private readonly TrackedRun _run;
    private readonly ConcurrentBag<Block> _free = [];
    private readonly int _blockSize;
    private Block _current;

    internal MetricSeries(TrackedRun run, string[] keys, int blockSize)
    {
        foreach (string key in keys) TrackingKeys.Validate(key, "metric");
        _run = run;
        Keys = keys;
        _blockSize = blockSize;
        _current = NewBlock();
    }

    /// <summary>The metric keys, in the order <see cref="Add"/> takes their values.</summary>
    public string[] Keys { get; }

    /// <summary>Adds one value per key at <paramref name="step"/>.</summary>
    public void Add(long step, ReadOnlySpan<double> values)
    {
        var block = _current;
        int row = block.Count;
        block.Steps[row] = step;
        values[..Keys.Length].CopyTo(block.Values.AsSpan(row * Keys.Length, Keys.Length));
        block.Count = row + 1;
        if (block.Count == _blockSize) Flush();
    }

    /// <summary>Hands the current block to the writer (also done by the run when it ends).</summary>
    public void Flush()
    {
        if (_current.Count == 0) return;
        _run.Enqueue(_current);
        _current = _free.TryTake(out var block) ? block : NewBlock();
        _current.Count = 0;
        _current.Timestamp = _run.Now();
    }

    internal void Recycle(Block block) => _free.Add(block);

    private Block NewBlock() => new(this, new long[_blockSize], new double[_blockSize * Keys.Length]) { Timestamp = _run.Now() };

    /// <summary>A block of points in flight to the writer.</summary>
    internal sealed class Block(MetricSeries series, long[] steps, double[] values)
    {
        public MetricSeries Series { get; } = series;
        public long[] Steps { get; } = steps;
        public double[] Values { get; } = values;
        public int Count { get; set; }
        public long Timestamp { get; set; }
    }
}
