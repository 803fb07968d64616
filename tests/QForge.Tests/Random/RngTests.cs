namespace QForge.Tests.Random;

public class RngTests
{
    [Fact]
    public void Matches_the_published_xoshiro256starstar_sequence()
    {
        // Reference outputs of xoshiro256** from state {1, 2, 3, 4} (the authors' C code; rand_xoshiro's test vector).
        var rng = new Rng(new RngState(1, 2, 3, 4));
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
            16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576];
        foreach (ulong value in expected)
            Assert.Equal(value, rng.NextUInt64());
    }

    [Fact]
    public void Same_seed_gives_the_same_stream_and_different_seeds_differ()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var c = new Rng(43);
        for (int i = 0; i < 100; i++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            Assert.NotEqual(x, c.NextUInt64());
        }
    }

    [Fact]
    public void Saved_state_restores_the_stream()
    {
        var rng = new Rng(7);
        for (int i = 0; i < 10; i++) rng.NextUInt64();
        var restored = new Rng(rng.State);
        for (int i = 0; i < 50; i++)
            Assert.Equal(rng.NextUInt64(), restored.NextUInt64());
    }

    [Fact]
    public void All_zero_state_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new Rng(new RngState(0, 0, 0, 0)));
        Assert.Contains("zero", error.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(1000)]
    public void NextInt_stays_in_range_and_is_roughly_uniform(int n)
    {
        var rng = new Rng(5);
        int draws = Math.Max(60_000, n * 100);
        var counts = new int[n];
        for (int i = 0; i < draws; i++)
        {
            int x = rng.NextInt(n);
            Assert.InRange(x, 0, n - 1);
            counts[x]++;
        }
        double expected = (double)draws / n;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        // For n - 1 degrees of freedom, the 99.9th percentile is below n - 1 + 5 * sqrt(2 (n - 1)) + 10.
        Assert.True(chiSquare < n - 1 + 5 * Math.Sqrt(2.0 * (n - 1)) + 10, $"chi-square {chiSquare} for {n} bins");
    }

    [Fact]
    public void Unit_interval_draws_are_in_range_with_the_right_mean()
    {
        var rng = new Rng(11);
        double sumD = 0, sumF = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++)
        {
            double d = rng.NextDouble();
            float f = rng.NextSingle();
            Assert.InRange(d, 0.0, Math.BitDecrement(1.0));
            Assert.InRange(f, 0f, MathF.BitDecrement(1f));
            sumD += d;
            sumF += f;
        }
        Assert.InRange(sumD / n, 0.497, 0.503);
        Assert.InRange(sumF / n, 0.497, 0.503);
    }

    [Fact]
    public void Split_streams_do_not_repeat_the_parent()
    {
        var parent = new Rng(3);
        var child = parent.Split();
        var childValues = Enumerable.Range(0, 1000).Select(_ => child.NextUInt64()).ToHashSet();
        int overlaps = Enumerable.Range(0, 1000).Count(_ => childValues.Contains(parent.NextUInt64()));
        Assert.Equal(0, overlaps);
    }

    [Fact]
    public void ForStream_is_deterministic_and_distinct_per_index()
    {
        var a = Rng.ForStream(9, 0);
        var a2 = Rng.ForStream(9, 0);
        var b = Rng.ForStream(9, 1);
        ulong first = a.NextUInt64();
        Assert.Equal(first, a2.NextUInt64());
        Assert.NotEqual(first, b.NextUInt64());
    }
}
