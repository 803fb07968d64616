using System.Globalization;

namespace QForge.Tracking.Tests;

/// <summary>Metric series: points are staged, copied into blocks and written in order, whatever the block size.</summary>
public sealed class MetricSeriesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(4096, 10_000)] // stages of 64, several full blocks and a partial one
    [InlineData(100, 1_003)]   // stages of 4
    [InlineData(3, 20)]        // stages of 1
    [InlineData(64, 63)]       // never a full stage: everything is written at the end
    public async Task Every_point_reaches_the_file_store_once_in_order(int blockSize, int points)
    {
        var run = TrackedRun.Start(new FileStore(_temp.Combine("mlruns")), "series", "r", new Dictionary<string, string>(), TimeProvider.System);
        var series = run.CreateSeries(["return", "length"], blockSize);
        for (int step = 0; step < points; step++)
        {
            series.Add(step, [step * 0.5, step % 9]);
            if (step == points / 2) series.Flush(); // a flush mid-stage hands over what is staged
        }
        Assert.Empty(await run.EndAsync(RunState.Finished));

        string[] returns = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "return"));
        string[] lengths = File.ReadAllLines(Path.Combine(run.Directory, "metrics", "length"));
        Assert.Equal(Enumerable.Range(0, points).Select(s => (s * 0.5).ToString("R", CultureInfo.InvariantCulture) + " " + s), returns.Select(l => l[(l.IndexOf(' ') + 1)..]));
        Assert.Equal(Enumerable.Range(0, points).Select(s => $"{s % 9} {s}"), lengths.Select(l => l[(l.IndexOf(' ') + 1)..]));
    }
}
