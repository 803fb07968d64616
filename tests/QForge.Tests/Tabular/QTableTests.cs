using QForge.Tabular;

namespace QForge.Tests.Tabular;

public class QTableTests
{
    [Fact]
    public void Rows_are_padded_to_a_vector_width()
    {
        Assert.Equal(4, new QTable(3, 1).Stride);
        Assert.Equal(8, new QTable(3, 6).Stride);
        Assert.Equal(16, new QTable(3, 9).Stride);
        Assert.Equal(16, new QTable(3, 16).Stride);
        Assert.Equal(24, new QTable(3, 17).Stride);
    }

    [Fact]
    public void Indexing_and_dense_copies_round_trip()
    {
        var table = new QTable(3, 6, initialValue: 0.5f);
        table[2, 5] = 7f;
        float[] dense = table.ToArray();
        Assert.Equal(18, dense.Length);
        Assert.Equal(7f, dense[17]);
        Assert.Equal(0.5f, dense[0]);
        var copy = new QTable(3, 6);
        copy.CopyFrom(dense);
        Assert.Equal(table, copy);
    }

    [Fact]
    public void Out_of_range_state_is_a_clear_error()
    {
        var table = new QTable(3, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => table.Row(3));
        Assert.Contains("0 to 2", error.Message);
    }

    [Fact]
    public void Writes_are_seen_by_the_maximum_and_the_greedy_action()
    {
        var table = new QTable(2, 6);
        var rng = new Rng(1);
        table[1, 4] = 3f;
        Assert.Equal(3f, table.MaxValue(1));
        Assert.Equal(4, table.GreedyAction(1, ref rng));
        table[1, 4] = -1f;
        Assert.Equal(0f, table.MaxValue(1));
        Assert.NotEqual(4, table.GreedyAction(1, ref rng));
        table.CopyFrom([0, 0, 0, 0, 0, 0, 1, 2, 9, 2, 1, 0]);
        Assert.Equal(9f, table.MaxValue(1));
        Assert.Equal(2, table.GreedyAction(1, ref rng));
    }

    [Fact]
    public void Non_finite_values_are_rejected()
    {
        var table = new QTable(1, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[0, 0] = float.NaN);
        Assert.Throws<ArgumentException>(() => table.CopyFrom([1f, float.PositiveInfinity]));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(2, 0)]
    [InlineData(-1, 2)]
    public void Non_positive_shapes_are_rejected(int states, int actions)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QTable(states, actions));
    }

    [Fact]
    public void Save_and_load_round_trip_bit_for_bit_with_metadata()
    {
        var table = new QTable(5, 3);
        var rng = new Rng(8);
        for (int s = 0; s < 5; s++)
            for (int a = 0; a < 3; a++)
                table[s, a] = (float)rng.NextDouble(-5, 5);
        string path = Path.Combine(Path.GetTempPath(), $"qforge-{Guid.NewGuid():N}.safetensors");
        try
        {
            QTableFile.Save(table, path, new Dictionary<string, string> { ["environment"] = "Test" });
            var (loaded, metadata) = QTableFile.Load(path);
            Assert.Equal(table, loaded);
            Assert.Equal("Test", metadata["environment"]);
            Assert.Equal(QTableFile.Format, metadata["format"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
