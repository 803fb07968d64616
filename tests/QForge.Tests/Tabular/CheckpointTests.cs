using QForge.Experiments.FrozenLake;
using QForge.Experiments.Taxi;
using QForge.Tabular;

namespace QForge.Tests.Tabular;

public class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("qforge-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    public void A_resumed_run_ends_with_exactly_the_bytes_of_an_uninterrupted_one(int replayCapacity)
    {
        var settings = new QLearningSettings { Episodes = 400, Seed = 5, ReplayCapacity = replayCapacity, ReplayBatchSize = 4 };
        var whole = new QLearningTrainer<Taxi>(settings);
        whole.Train();

        string path = Path.Combine(_directory, "checkpoint.safetensors");
        var first = new QLearningTrainer<Taxi>(settings);
        first.Train(episodes: 137);
        first.SaveCheckpoint(path);

        var resumed = QLearningTrainer<Taxi>.Resume(path, settings);
        Assert.Equal(137, resumed.Episode);
        Assert.Equal(first.TotalSteps, resumed.TotalSteps);
        resumed.Train();
        Assert.Equal(whole.Table.ToArray(), resumed.Table.ToArray());
        Assert.Equal(whole.RngState, resumed.RngState);
        Assert.Equal(whole.TotalSteps, resumed.TotalSteps);
    }

    [Fact]
    public void Resuming_with_more_episodes_is_allowed_but_other_changes_are_refused()
    {
        string path = Path.Combine(_directory, "checkpoint.safetensors");
        var settings = new QLearningSettings { Episodes = 50 };
        var trainer = new QLearningTrainer<Taxi>(settings);
        trainer.Train();
        trainer.SaveCheckpoint(path);

        var longer = QLearningTrainer<Taxi>.Resume(path, settings with { Episodes = 80 });
        Assert.Equal(30, longer.Train().Episodes);

        var error = Assert.Throws<InvalidDataException>(() => QLearningTrainer<Taxi>.Resume(path, settings with { LearningRate = 0.3 }));
        Assert.Contains("LearningRate = 0.3 (checkpoint: 0.1)", error.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_environment_or_file_kind_is_refused()
    {
        string path = Path.Combine(_directory, "checkpoint.safetensors");
        var trainer = new QLearningTrainer<Taxi>(new QLearningSettings { Episodes = 5 });
        trainer.Train();
        trainer.SaveCheckpoint(path);
        var error = Assert.Throws<InvalidDataException>(() => QLearningTrainer<FrozenLake>.Resume(path, new QLearningSettings { Episodes = 5 }));
        Assert.Contains("checkpoint of Taxi-v3, not FrozenLake-v1", error.Message);

        string table = Path.Combine(_directory, "table.safetensors");
        QTableFile.Save(trainer.Table, table);
        error = Assert.Throws<InvalidDataException>(() => QLearningTrainer<Taxi>.Resume(table, new QLearningSettings { Episodes = 5 }));
        Assert.Contains("is not a qforge.checkpoint.tabular.v1 checkpoint", error.Message);
    }
}
