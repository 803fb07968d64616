using System.Globalization;

namespace QForge.Tracking.Tests;

/// <summary>Metric series: points are stored into pooled blocks and written in order, whatever the block size.</summary>
public sealed class MetricSeriesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(0, 5_000)]     // the default block size (1,024): several full blocks and a partial one
    [InlineData(4096, 10_000)]
    [InlineData(100, 1_003)]
    [InlineData(3, 20)]
    [InlineData(64, 63)]       // never a full block: everything is written at the end
    public async Task Every_point_reaches_the_file_store_once_in_order(int blockSize, int points)
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = blockSize == 0 ? run.CreateSeries(["return", "length"]) : run.CreateSeries(["return", "length"], blockSize);
        for (int step = 0; step < points; step++)
        {
            series.Add(step, [step * 0.5, step % 9]);
            if (step == points / 2) series.Flush(); // a flush mid-block hands over the part filled
        }
        Assert.Empty(await run.EndAsync(RunState.Finished));

        string[] returns = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "return"));
        string[] lengths = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length"));
        Assert.Equal(Enumerable.Range(0, points).Select(s => (s * 0.5).ToString("R", CultureInfo.InvariantCulture) + " " + s), returns.Select(l => l[(l.IndexOf(' ') + 1)..]));
        Assert.Equal(Enumerable.Range(0, points).Select(s => $"{s % 9} {s}"), lengths.Select(l => l[(l.IndexOf(' ') + 1)..]));
    }

    [Fact]
    public async Task Full_blocks_reach_the_file_before_the_run_ends()
    {
        // Full blocks are collected by the writer on its own schedule (no wake-up per block from the training thread).
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["return"], blockSize: 8);
        for (int step = 0; step < 16; step++) series.Add(step, [step]);
        string file = Path.Combine(run.Directory, "metrics", "return");
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (LineCount(file) < 16 && waited.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(5);
        Assert.Equal(16, LineCount(file));
        Assert.Empty(await run.EndAsync(RunState.Finished));
        Assert.Equal(16, LineCount(file));

        static int LineCount(string path) => File.Exists(path) ? File.ReadAllLines(path).Length : 0;
    }

    [Fact]
    public async Task Repeated_and_special_values_are_written_as_each_value_is()
    {
        // The writer copies the text of a value equal to the one before; equal means the same bits (NaN repeats, 0 and -0 differ).
        double[] values = [0.05, 0.05, 0.0, -0.0, -0.0, double.NaN, double.NaN, 1, 1, double.PositiveInfinity, 0.1 + 0.2, 0.1 + 0.2, 1e-5];
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["epsilon"], blockSize: 4);
        for (int step = 0; step < values.Length; step++) series.Add(step, [values[step]]);
        Assert.Empty(await run.EndAsync(RunState.Finished));

        string[] lines = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "epsilon"));
        Assert.Equal(["0.05 0", "0.05 1", "0 2", "-0 3", "-0 4", "nan 5", "nan 6", "1 7", "1 8", "inf 9", "0.30000000000000004 10", "0.30000000000000004 11", "1E-05 12"],
            lines.Select(l => l[(l.IndexOf(' ') + 1)..]));
    }

    [Fact]
    public async Task Steps_are_written_as_each_step_is_across_digit_carries_jumps_and_negatives()
    {
        // The writer increments the last step's digits in place when a step is one more than the last.
        long[] steps = [0, 1, 8, 9, 10, 11, 99, 100, 101, 999, 1000, 5, -3, -2, -1, 0, 1, 9_999_999, 10_000_000, long.MaxValue - 1, long.MaxValue];
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["value"], blockSize: 4);
        foreach (long step in steps) series.Add(step, [1.5]);
        Assert.Empty(await run.EndAsync(RunState.Finished));

        string[] lines = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "value"));
        Assert.Equal(steps.Select(s => "1.5 " + s.ToString(CultureInfo.InvariantCulture)), lines.Select(l => l[(l.IndexOf(' ') + 1)..]));
        Assert.All(lines, l => Assert.Equal(3, l.Split(' ').Length));
    }

    [Fact]
    public async Task Consecutive_steps_are_written_exactly_across_blocks_and_every_carry()
    {
        // Each key's writer increments its last step's digits in place, and keeps them from one block to the next:
        // blocks of 7 rows (not a divisor of any power of ten) put carries at every place in a block, for two keys.
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["a", "b"], blockSize: 7);
        for (long step = 0; step <= 12_345; step++) series.Add(step, [step % 3, 0.5]);
        Assert.Empty(await run.EndAsync(RunState.Finished));

        var expected = Enumerable.Range(0, 12_346).Select(s => s.ToString(CultureInfo.InvariantCulture));
        string[][] a = File.ReadLines(Path.Combine(run.Directory, "metrics", "a")).Select(l => l.Split(' ')).ToArray();
        Assert.Equal(expected, a.Select(parts => parts[2]));
        Assert.Equal(expected, File.ReadLines(Path.Combine(run.Directory, "metrics", "b")).Select(l => l.Split(' ')[2]));
        Assert.Equal(Enumerable.Range(0, 12_346).Select(s => (s % 3).ToString(CultureInfo.InvariantCulture)), a.Select(parts => parts[1]));
    }

    [Fact]
    public async Task Adding_points_allocates_nothing_once_the_pool_is_warm_even_across_block_hand_overs()
    {
        var store = new FileStore(_temp.Combine("mlruns"));
        double[] values = [0.5, 3];
        // A first run of a shape no other test uses fills the pool: its ended blocks go back to it.
        var first = TrackedRun.Start(store, "series", "first", new Dictionary<string, string>(), TimeProvider.System);
        var warm = first.CreateSeries(["return", "length"], blockSize: 50);
        for (int step = 0; step < 2_000; step++) warm.Add(step, values);
        Assert.Empty(await first.EndAsync(RunState.Finished));

        var run = TrackedRun.Start(store, "series", "second", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["return", "length"], blockSize: 50);
        for (int step = 0; step < 100; step++) series.Add(step, values);
        // Twenty blocks handed over to the writer and twenty taken from the pool inside the measured window.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 100; step < 1_100; step++) series.Add(step, values);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Empty(await run.EndAsync(RunState.Finished));
        Assert.Equal(Enumerable.Range(0, 1_100).Select(s => $"3 {s}"),
            File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length")).Select(line => line[(line.IndexOf(' ') + 1)..]));
    }

    [Fact]
    public async Task A_row_with_fewer_values_than_keys_is_refused()
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["return", "length"]);
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => series.Add(0, [1.0]));
        Assert.Contains("2 metrics (return, length) need 2 values; 1 were given", refused.Message);
        series.Add(1, [2.0, 3.0, 4.0]); // extra values are ignored
        Assert.Empty(await run.EndAsync(RunState.Finished));
        Assert.Equal(["2"], File.ReadAllLines(Path.Combine(run.Directory, "metrics", "return")).Select(line => line.Split(' ')[1]));
        Assert.Equal(["3"], File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length")).Select(line => line.Split(' ')[1]));
    }

    [Fact]
    public async Task A_series_refuses_an_empty_block_size_and_adding_after_the_end_fails_clearly_every_time()
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        Assert.Throws<ArgumentOutOfRangeException>(() => run.CreateSeries(["return"], blockSize: 0));
        var series = run.CreateSeries(["return", "length"], blockSize: 64);
        for (int step = 0; step < 10; step++) series.Add(step, [step, step]);
        Assert.Empty(await run.EndAsync(RunState.Finished));

        // Nothing can be added after the end; the refused stores must never leave their arrays.
        int refused = 0;
        for (int step = 10; step < 1000; step++)
        {
            try
            {
                series.Add(step, [step, step]);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("its run has ended"))
            {
                refused++;
            }
        }

        // Every point after the end is refused: the ended series holds an empty block, never one back in the pool.
        Assert.Equal(990, refused);
        Assert.Equal(Enumerable.Range(0, 10).Select(s => s.ToString(CultureInfo.InvariantCulture)),
            File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length")).Select(line => line.Split(' ')[2]));
    }

    [Fact]
    public async Task Runs_one_after_another_and_at_once_reuse_pooled_blocks_without_mixing_their_points()
    {
        // Blocks of one shape are shared by the whole process: a run takes the blocks earlier runs wrote, runs logging at
        // once take them from one pool, and a series keeps adding (refused) after its run ended while others log.
        const int points = 1_000;
        var store = new FileStore(_temp.Combine("mlruns"));
        async Task<string> LogAsync(int id)
        {
            var run = TrackedRun.Start(store, "pool", $"r{id}", new Dictionary<string, string>(), TimeProvider.System);
            var series = run.CreateSeries(["value"], blockSize: 16);
            for (int step = 0; step < points; step++) series.Add(step, [id * 1_000_000 + step]);
            Assert.Empty(await run.EndAsync(RunState.Finished));
            for (int step = 0; step < 500; step++) Assert.Throws<InvalidOperationException>(() => series.Add(step, [-1]));
            return run.Directory;
        }

        var directories = new List<(int Id, string Directory)>();
        for (int id = 1; id <= 3; id++) directories.Add((id, await LogAsync(id)));
        var parallel = Enumerable.Range(4, 8).Select(id => Task.Run(async () => (id, await LogAsync(id)))).ToArray();
        directories.AddRange(await Task.WhenAll(parallel));

        foreach (var (id, directory) in directories)
        {
            var lines = File.ReadAllLines(Path.Combine(directory, "metrics", "value")).Select(line => line[(line.IndexOf(' ') + 1)..]);
            Assert.Equal(Enumerable.Range(0, points).Select(step => $"{id * 1_000_000 + step} {step}"), lines);
        }
    }

    [Fact]
    public void The_block_pool_hands_out_returned_blocks_first_in_first_out_and_new_ones_when_empty()
    {
        var pool = MetricSeries.BlockPool.For(rows: 7, width: 5); // a shape no other test uses: the pool starts empty
        var returned = Enumerable.Range(0, 3).Select(_ => pool.Take()).ToArray();
        Assert.Equal(3, returned.Distinct().Count());
        Assert.All(returned, block => Assert.Equal((7, 35), (block.Steps.Length, block.Values.Length)));
        foreach (var block in returned) pool.Return(block);

        Assert.Equal(returned, [pool.Take(), pool.Take(), pool.Take()]);
        Assert.DoesNotContain(pool.Take(), returned);
    }
}
