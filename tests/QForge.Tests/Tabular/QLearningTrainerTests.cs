using QForge.Experiments.FrozenLake;
using QForge.Experiments.Taxi;
using QForge.Exploration;
using QForge.Tabular;
using QForge.Training;

namespace QForge.Tests.Tabular;

public class QLearningTrainerTests
{
    private static readonly QLearningSettings Greedy = new()
    {
        LearningRate = 0.25,
        DiscountFactor = 0.5,
        EpsilonDecay = EpsilonDecay.Constant,
        EpsilonStart = 0,
        EpsilonEnd = 0,
    };

    [Fact]
    public void A_truncated_transition_bootstraps_from_the_next_state()
    {
        var trainer = new QLearningTrainer<Treadmill>(Greedy with { Episodes = 2 });
        trainer.Train();
        // Episode 1: Q = 0 + 0.25 * (1 + 0.5 * 0 - 0) = 0.25. Episode 2: Q = 0.25 + 0.25 * (1 + 0.5 * 0.25 - 0.25).
        float first = 0.25f * 1f;
        float expected = first + 0.25f * (1f + 0.5f * first - first);
        Assert.Equal(expected, trainer.Table[0, 0]);
    }

    [Fact]
    public void A_terminated_transition_does_not_bootstrap()
    {
        var trainer = new QLearningTrainer<Cliff>(Greedy with { Episodes = 2 });
        trainer.Train();
        float first = 0.25f;
        Assert.Equal(first + 0.25f * (1f - first), trainer.Table[0, 0]);
    }

    [Fact]
    public void Replay_updates_each_sampled_transition_with_its_own_target()
    {
        // Capacity 1: every sample is the newest transition, so each step applies the update three times.
        var trainer = new QLearningTrainer<Treadmill>(Greedy with { Episodes = 1, ReplayCapacity = 1, ReplayBatchSize = 3 });
        trainer.Train();
        float q = 0;
        for (int i = 0; i < 3; i++) q += 0.25f * (1f + 0.5f * q - q);
        Assert.Equal(q, trainer.Table[0, 0]);
    }

    [Fact]
    public void The_observer_sees_every_episode_in_order()
    {
        var observer = new RecordingObserver();
        var trainer = new QLearningTrainer<FrozenLake>(new QLearningSettings { Episodes = 50, EpsilonDecayEpisodes = 10 });
        var summary = trainer.Train(observer);
        Assert.Equal(50, observer.Reports.Count);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), observer.Reports.Select(r => r.Episode));
        Assert.Equal(summary.Steps, observer.Reports.Sum(r => r.Length));
        Assert.Equal(summary.Steps, observer.Reports[^1].TotalSteps);
        Assert.Equal(1.0, observer.Reports[0].Epsilon, 6);
        // Exactly the schedule's values (what MLflow shows: 0.05, not the float's 0.05000000074505806).
        Assert.Equal(0.05, observer.Reports[^1].Epsilon);
        Assert.Equal(1.0 - (1.0 - 0.05) * 5 / 10, observer.Reports[5].Epsilon);
        Assert.All(observer.Reports, r => Assert.InRange(r.Length, 1, 100));
        Assert.All(observer.Reports, r => Assert.Equal(r.Success ? 1.0 : 0.0, r.Return));
    }

    [Fact]
    public void A_struct_observer_sees_what_an_object_observer_sees_and_training_is_the_same()
    {
        var settings = new QLearningSettings { Episodes = 200, EpsilonDecayEpisodes = 100, Seed = 3 };
        var objectObserver = new RecordingObserver();
        var throughInterface = new QLearningTrainer<FrozenLake>(settings);
        throughInterface.Train(objectObserver);
        var structObserver = new CountingObserver();
        var throughStruct = new QLearningTrainer<FrozenLake>(settings);
        var summary = throughStruct.Train(ref structObserver);

        // The observer is updated in place (by ref), and the training it watched is bit-identical.
        Assert.Equal(200, structObserver.Episodes);
        Assert.Equal(objectObserver.Reports.Sum(r => r.Return), structObserver.ReturnSum);
        Assert.Equal(summary.Steps, structObserver.LastTotalSteps);
        Assert.Equal(throughInterface.Table.ToArray(), throughStruct.Table.ToArray());
        Assert.Equal(throughInterface.RngState, throughStruct.RngState);
    }

    [Fact]
    public void Training_without_an_observer_is_the_same_training()
    {
        var settings = new QLearningSettings { Episodes = 200, EpsilonDecayEpisodes = 100, Seed = 5 };
        var watched = new QLearningTrainer<FrozenLake>(settings);
        watched.Train(new RecordingObserver());
        var alone = new QLearningTrainer<FrozenLake>(settings);
        alone.Train();
        Assert.Equal(watched.Table.ToArray(), alone.Table.ToArray());
        Assert.Equal(watched.TotalSteps, alone.TotalSteps);
    }

    [Fact]
    public void Training_continues_where_it_stopped()
    {
        var settings = new QLearningSettings { Episodes = 300, Seed = 4 };
        var whole = new QLearningTrainer<FrozenLake>(settings);
        whole.Train();
        var parts = new QLearningTrainer<FrozenLake>(settings);
        parts.Train(episodes: 120);
        parts.Train(episodes: 100);
        parts.Train();
        Assert.Equal(300, parts.Episode);
        Assert.Equal(whole.Table, parts.Table);
        Assert.Equal(whole.RngState, parts.RngState);
    }

    [Fact]
    public void Cancellation_stops_at_an_episode_boundary()
    {
        using var cancellation = new CancellationTokenSource();
        var observer = new RecordingObserver(afterEpisodes: 10, cancellation);
        var trainer = new QLearningTrainer<FrozenLake>(new QLearningSettings { Episodes = 1000 });
        var summary = trainer.Train(observer, cancellationToken: cancellation.Token);
        Assert.True(summary.Cancelled);
        Assert.Equal(10, summary.Episodes);
        Assert.Equal(10, trainer.Episode);
    }

    [Fact]
    public void A_state_outside_the_space_is_a_clear_error()
    {
        var trainer = new QLearningTrainer<OutOfSpace>(new QLearningSettings { Episodes = 1 });
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Train());
        Assert.Contains("state 7", error.Message);
        Assert.Contains("0..1", error.Message);
    }

    [Fact]
    public void Invalid_settings_list_every_problem_with_name_value_and_range()
    {
        var settings = new QLearningSettings { LearningRate = 0, DiscountFactor = 1.5, EpsilonStart = 0.1, EpsilonEnd = 0.2, ReplayBatchSize = 0 };
        var error = Assert.Throws<HyperparameterException>(() => new QLearningTrainer<FrozenLake>(settings));
        Assert.Equal(4, error.Errors.Count);
        Assert.Contains("LearningRate = 0 is out of range: allowed (0, 1]", error.Message);
        Assert.Contains("DiscountFactor = 1.5 is out of range: allowed [0, 1]", error.Message);
        Assert.Contains("ReplayBatchSize = 0", error.Message);
        Assert.Contains("EpsilonEnd = 0.2 must not exceed EpsilonStart = 0.1", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Same_seed_gives_identical_tables_byte_for_byte(int replayCapacity)
    {
        var settings = new QLearningSettings { Episodes = 400, Seed = 123, ReplayCapacity = replayCapacity, ReplayBatchSize = 8 };
        var a = TabularRun.Execute<Taxi>(settings);
        var b = TabularRun.Execute<Taxi>(settings);
        var c = TabularRun.Execute<Taxi>(settings with { Seed = 124 });
        Assert.Equal(a.Table.ToArray(), b.Table.ToArray());
        Assert.Equal(a.Evaluation, b.Evaluation);
        Assert.NotEqual(a.Table.ToArray(), c.Table.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    public void Training_steps_allocate_nothing(int replayCapacity)
    {
        var trainer = new QLearningTrainer<Taxi>(new QLearningSettings { Episodes = 100_000, ReplayCapacity = replayCapacity });
        trainer.Train(episodes: 200); // warm up: JIT tiers, statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        var summary = trainer.Train(episodes: 2_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(summary.Steps > 50_000, $"only {summary.Steps} steps");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Evaluation_rejects_a_table_of_the_wrong_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => QLearningTrainer<Taxi>.Evaluate(new QTable(16, 4), 10, 1));
        Assert.Contains("500 x 6", error.Message);
    }

    private struct CountingObserver : ITrainingObserver
    {
        public int Episodes;
        public double ReturnSum;
        public long LastTotalSteps;

        public void OnEpisodeEnd(in EpisodeReport report)
        {
            Assert.Equal(Episodes, report.Episode);
            Episodes++;
            ReturnSum += report.Return;
            LastTotalSteps = report.TotalSteps;
        }
    }

    private sealed class RecordingObserver(int afterEpisodes = int.MaxValue, CancellationTokenSource? cancel = null) : ITrainingObserver
    {
        public List<EpisodeReport> Reports { get; } = [];

        public void OnEpisodeEnd(in EpisodeReport report)
        {
            Reports.Add(report);
            if (Reports.Count == afterEpisodes) cancel?.Cancel();
        }
    }
}
