using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace QForge.Tracking;

/// <summary>
/// A fixed set of metrics logged together at each step (for example return, length and epsilon per episode), written
/// into preallocated blocks on the training thread: adding a point is a few array stores, with no allocation and no
/// synchronisation. A full block goes into the run's queue of blocks, which the background writer collects every 2 ms
/// (so handing a block over wakes no thread), and a block from the process's pool takes its place. Points of one block
/// share the timestamp at which the block was started.
/// </summary>
/// <remarks>
/// A pooled block was last read by the writer on the other core, and a store into one of its cache lines waits until
/// this core owns the line again. Each point is stored straight into the block, with a prefetch of the line
/// <see cref="PrefetchRows"/> rows ahead, so each line is on its way long before its first store: on a 2-core AMD EPYC
/// VM (FrozenLake, 200,000 episodes, runs of 121 rounds side by side) training ran 1.3-1.4% slower than untracked this
/// way, 2.6% when 64 points were staged and copied in at once (the copy waited on ~32 lines at a time; perf put ~1.4 ms
/// of each run in it); in a pool that held blocks back longer, 3.8-3.9% with plain stores against 2.4% with the prefetch.
/// </remarks>
public sealed class MetricSeries
{
    // Far enough ahead for the line to arrive in time (a FrozenLake episode takes ~0.8 us), near enough to stay in L1.
    private const int PrefetchRows = 8;

    private readonly TrackedRun _run;
    private readonly BlockPool _pool;
    private readonly int _width;
    private Block _current;

    internal MetricSeries(TrackedRun run, string[] keys, int blockSize)
    {
        foreach (string key in keys) TrackingKeys.Validate(key, "metric");
        _run = run;
        Keys = keys;
        _width = keys.Length;
        _pool = BlockPool.For(blockSize, _width);
        _current = TakeBlock();
    }

    /// <summary>The metric keys, in the order <see cref="Add"/> takes their values.</summary>
    public string[] Keys { get; }

    /// <summary>Adds one value per key at <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="values"/> has fewer values than there are keys.</exception>
    /// <exception cref="InvalidOperationException">The run has ended, or an earlier call failed.</exception>
    public unsafe void Add(long step, ReadOnlySpan<double> values)
    {
        int width = _width;
        if (values.Length < width) ThrowTooFewValues(values.Length);
        var block = _current;
        int count = block.Count;
        long[] steps = block.Steps;
        // One check for all the stores below (this runs once per episode): the values array holds width values per
        // row of steps. A full block is handed over before Add returns, so count is only out of range after the run
        // ended (the series then holds an empty block), after a failed hand-over, or when two threads share the series.
        if ((uint)count >= (uint)steps.Length) ThrowBlockFull();
        ref long stepsStart = ref MemoryMarshal.GetArrayDataReference(steps);
        Unsafe.Add(ref stepsStart, count) = step;
        ref double stored = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(block.Values), count * width);
        ref double value = ref MemoryMarshal.GetReference(values);
        // Element by element: for the few values of a row, a call to the general copy costs more than the copy.
        for (int k = 0; k < width; k++) Unsafe.Add(ref stored, k) = Unsafe.Add(ref value, k);
        if (Sse.IsSupported)
        {
            // Addresses as plain pointers, so no reference past the arrays' ends is ever live for the collector; a
            // prefetch is a hint and never faults, so past the end it does nothing that matters.
            Sse.Prefetch0((long*)Unsafe.AsPointer(ref Unsafe.Add(ref stepsStart, count)) + PrefetchRows);
            Sse.Prefetch0((double*)Unsafe.AsPointer(ref stored) + PrefetchRows * width);
        }
        block.Count = ++count;
        if (count == steps.Length) Flush();
    }

    [DoesNotReturn]
    private static void ThrowBlockFull() =>
        throw new InvalidOperationException("This metric series cannot take more points: its run has ended, an earlier Add or Flush failed, or two threads added to it at once; a series takes its points from one thread until its run ends.");

    [DoesNotReturn]
    private void ThrowTooFewValues(int given) =>
        throw new ArgumentOutOfRangeException("values", $"{Keys.Length} metrics ({string.Join(", ", Keys)}) need {Keys.Length} values; {given} were given.");

    /// <summary>Hands the current block to the writer (also done by the run when it ends).</summary>
    public void Flush()
    {
        if (_current.Count == 0) return;
        _run.Enqueue(_current);
        _current = TakeBlock();
    }

    /// <summary>
    /// Hands the last points to the writer when the run ends, taking no new block: from then on the series holds an
    /// empty one, so a point added after the end is refused (see <see cref="Add"/>) and never lands in a pooled block.
    /// </summary>
    internal void FlushLast()
    {
        var last = _current;
        _current = new Block(_pool, [], []) { Series = this };
        if (last.Count > 0) _run.Enqueue(last);
        else _pool.Return(last);
    }

    private Block TakeBlock()
    {
        var block = _pool.Take();
        block.Series = this;
        block.Count = 0;
        block.Timestamp = _run.Now();
        return block;
    }

    /// <summary>A block of points in flight to the writer.</summary>
    internal sealed class Block(BlockPool pool, long[] steps, double[] values)
    {
        public BlockPool Pool { get; } = pool;
        /// <summary>The series filling the block (set when a series takes it from the pool).</summary>
        public MetricSeries Series { get; set; } = null!;
        public long[] Steps { get; } = steps;
        public double[] Values { get; } = values;
        public int Count { get; set; }
        public long Timestamp { get; set; }
    }

    /// <summary>
    /// The blocks of one shape (rows by keys) shared by every series in the process, first in, first out, so that a run
    /// after the first allocates none: allocating them per run cost the training thread ~1 ms in a 200,000-episode
    /// FrozenLake run (fresh pages, and the collections they brought). Reusing a block only once four others waited
    /// behind it, to let its lines leave the writer's cache first, made training slower, not faster (2.4% over untracked
    /// against 1.3%).
    /// </summary>
    internal sealed class BlockPool
    {
        // Enough for several runs logging at once; a pool never holds more.
        private const long MaxPooledBytes = 4 << 20;
        private static readonly ConcurrentDictionary<(int Rows, int Width), BlockPool> Pools = new();

        private readonly ConcurrentQueue<Block> _free = new();
        private readonly int _rows;
        private readonly int _width;
        private readonly int _maxFree;

        private BlockPool(int rows, int width)
        {
            _rows = rows;
            _width = width;
            _maxFree = (int)Math.Max(8, MaxPooledBytes / ((long)rows * (width + 1) * sizeof(double)));
        }

        public static BlockPool For(int rows, int width) => Pools.GetOrAdd((rows, width), static shape => new BlockPool(shape.Rows, shape.Width));

        public Block Take() => _free.TryDequeue(out var block) ? block : new Block(this, new long[_rows], new double[_rows * _width]);

        public void Return(Block block)
        {
            if (_free.Count < _maxFree) _free.Enqueue(block);
        }
    }
}
