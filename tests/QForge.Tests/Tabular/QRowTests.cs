using QForge.Tabular;

namespace QForge.Tests.Tabular;

public class QRowTests
{
    public static TheoryData<int> ActionCounts => new() { 1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 17, 23, 32, 33, 40 };

    [Theory]
    [MemberData(nameof(ActionCounts))]
    public void Max_and_ArgMax_agree_with_a_scalar_scan(int actions)
    {
        var table = new QTable(50, actions);
        var rng = new Rng(1);
        for (int s = 0; s < 50; s++)
            for (int a = 0; a < actions; a++)
                table[s, a] = (float)(rng.NextDouble() * 20 - 10);
        for (int s = 0; s < 50; s++)
        {
            float[] row = table.Row(s).ToArray();
            Assert.Equal(row.Max(), table.MaxValue(s));
            Assert.Equal(Array.IndexOf(row, row.Max()), table.GreedyAction(s, ref rng));
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(13)]
    [InlineData(20)]
    [InlineData(32)]
    [InlineData(37)]
    public void Ties_are_broken_uniformly_and_never_pick_padding(int actions)
    {
        var table = new QTable(1, actions, initialValue: 2.5f);
        var rng = new Rng(2);
        var counts = new int[actions];
        const int draws = 60_000;
        for (int i = 0; i < draws; i++)
            counts[table.GreedyAction(0, ref rng)]++;
        double expected = (double)draws / actions;
        Assert.All(counts, c => Assert.InRange(c, expected * 0.9, expected * 1.1));
    }

    [Fact]
    public void Ties_only_among_the_maxima()
    {
        var table = new QTable(1, 6);
        table.CopyFrom([1f, 3f, -2f, 3f, 0f, 3f]);
        var rng = new Rng(3);
        var seen = new HashSet<int>();
        for (int i = 0; i < 1000; i++) seen.Add(table.GreedyAction(0, ref rng));
        Assert.Equal([1, 3, 5], seen.Order());
    }

    [Fact]
    public void Negative_values_beat_the_padding()
    {
        var table = new QTable(1, 5, initialValue: -1e30f);
        table[0, 4] = -1e29f;
        var rng = new Rng(4);
        Assert.Equal(4, table.GreedyAction(0, ref rng));
        Assert.Equal(-1e29f, table.MaxValue(0));
    }
}
