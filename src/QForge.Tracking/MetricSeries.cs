using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QForge.Tracking;

/// <summary>
/// A fixed set of metrics logged together at each step (for example return, length and epsilon per episode), written
/// into preallocated blocks on the training thread: adding a point is a few array stores, with no allocation and no
/// synchronisation. A full block goes into the run's queue of blocks, which the background writer collects every 2 ms
/// (so handing a block over wakes no thread), and a recycled block takes its place. Points of one block share the
/// timestamp at which the block was started.
/// </summary>
/// <remarks>
/// Points are first written to a small staging area that only the training thread touches, and copied into the block
/// 64 at a time. A recycled block's memory was last read by the writer on the other core, so each cache line written
/// into it must first be taken back from that core; one point at a time, every such miss stalled training (FrozenLake,
/// 200,000 episodes: the writer formatting blocks on the other core added ~20 ms to training); in bursts the misses
/// overlap.
/// </remarks>
public sealed class MetricSeries
{
    private readonly TrackedRun _run;
    private readonly ConcurrentBag<Block> _free = [];
    private readonly int _blockSize;
    private readonly int _width;
    private readonly long[] _stagedSteps;
    private readonly double[] _stagedValues;
    private int _staged;
    private Block _current;

    internal MetricSeries(TrackedRun run, string[] keys, int blockSize)
    {
        foreach (string key in keys) TrackingKeys.Validate(key, "metric");
        _run = run;
        Keys = keys;
        _width = keys.Length;
        _blockSize = blockSize;
        int stage = 64;
        while (blockSize % stage != 0) stage /= 2; // whole stages fill a block exactly
        _stagedSteps = new long[stage];
        _stagedValues = new double[stage * _width];
        _current = NewBlock();
    }

    /// <summary>The metric keys, in the order <see cref="Add"/> takes their values.</summary>
    public string[] Keys { get; }

    /// <summary>Adds one value per key at <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="values"/> has fewer values than there are keys.</exception>
    /// <exception cref="InvalidOperationException">The run has ended, or an earlier call failed.</exception>
    public void Add(long step, ReadOnlySpan<double> values)
    {
        int row = _staged, width = _width;
        if (values.Length < width) ThrowTooFewValues(values.Length);
        // One check for all the stores below (this runs once per episode): the stage holds width values per row. A full
        // stage is copied out before Add returns, so row is only out of range after a failed copy or when two threads
        // share the series.
        if ((uint)row >= (uint)_stagedSteps.Length) ThrowStageFull();
        // Element by element: for the few values of a row, a call to the general copy costs more than the copy.
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_stagedSteps), row) = step;
        ref double staged = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_stagedValues), row * width);
        ref double value = ref MemoryMarshal.GetReference(values);
        for (int k = 0; k < width; k++) Unsafe.Add(ref staged, k) = Unsafe.Add(ref value, k);
        _staged = ++row;
        if (row == _stagedSteps.Length && Unstage() == _blockSize) Flush();
    }

    [DoesNotReturn]
    private static void ThrowStageFull() =>
        throw new InvalidOperationException("This metric series cannot take more points: an earlier Add or Flush failed (the run had ended?), or two threads added to it at once; a series takes its points from one thread.");

    [DoesNotReturn]
    private void ThrowTooFewValues(int given) =>
        throw new ArgumentOutOfRangeException("values", $"{Keys.Length} metrics ({string.Join(", ", Keys)}) need {Keys.Length} values; {given} were given.");

    /// <summary>Hands the current block to the writer (also done by the run when it ends).</summary>
    public void Flush()
    {
        Unstage();
        if (_current.Count == 0) return;
        _run.Enqueue(_current);
        _current = _free.TryTake(out var block) ? block : NewBlock();
        _current.Count = 0;
        _current.Timestamp = _run.Now();
    }

    internal void Recycle(Block block) => _free.Add(block);

    /// <summary>Copies the staged points into the current block; returns the block's count.</summary>
    private int Unstage()
    {
        var block = _current;
        int count = block.Count, staged = _staged;
        if (count + staged > block.Steps.Length) ThrowStageFull(); // a full block that could not be handed over
        _stagedSteps.AsSpan(0, staged).CopyTo(block.Steps.AsSpan(count));
        _stagedValues.AsSpan(0, staged * _width).CopyTo(block.Values.AsSpan(count * _width));
        _staged = 0;
        return block.Count = count + staged;
    }

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
