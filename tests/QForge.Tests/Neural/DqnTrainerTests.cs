using QForge.Dqn;

namespace QForge.Tests.Neural;

/// <summary>Two feature states; action 1 pays 1 in state 0 and action 0 pays 1 in state 1; every step ends the episode.</summary>
public struct TwoArmed : IFeatureEnvironment<TwoArmed>
{
    private int _state;
    public static string Name => "TwoArmed";
    public static int FeatureCount => 2;
    public static int ActionCount => 2;
    public static int MaxEpisodeSteps => 10;

    public void ResetFeatures(ref Rng rng, Span<float> features)
    {
        _state = rng.NextInt(2);
        features[0] = _state == 0 ? 1 : 0;
        features[1] = _state == 1 ? 1 : 0;
    }

    public FeatureStep StepFeatures(int action, ref Rng rng, Span<float> features)
    {
        bool right = action == 1 - _state;
        features.Clear();
        return new FeatureStep(right ? 1f : 0f, true, false, right);
    }
}

public class DqnTrainerTests
{
    private static readonly DqnSettings Quick = new()
    {
        TotalSteps = 3000, HiddenLayers = "16", LearningRate = 1e-2, BufferSize = 1000, BatchSize = 32, LearningStarts = 100,
        TrainFrequency = 1, TargetUpdateInterval = 50, ExplorationFraction = 0.3, EvaluationEpisodes = 50,
    };

    [Theory]
    [InlineData(false, DqnLoss.Mse, 1)]
    [InlineData(true, DqnLoss.Huber, 4)]
    public void Learns_the_right_arm_in_each_state(bool doubleDqn, DqnLoss loss, int environments)
    {
        var trainer = new DqnTrainer<TwoArmed>(Quick with { DoubleDqn = doubleDqn, Loss = loss, EnvironmentCount = environments, MaxGradNorm = 10 });
        var summary = trainer.Train();
        Assert.Equal(3000, trainer.Step);
        Assert.True(trainer.Updates >= (3000 - 100) / environments - 1, $"{trainer.Updates} updates");
        var evaluation = trainer.Evaluate(100, 9);
        Assert.Equal(1.0, evaluation.SuccessRate);
        Assert.Equal(1.0, evaluation.MeanReturn);
        Assert.InRange(trainer.LastMeanQ, 0.8f, 1.2f);
        Assert.True(summary.Episodes >= 2999 / environments);
    }

    [Fact]
    public void Same_seed_gives_identical_weights()
    {
        var a = new DqnTrainer<TwoArmed>(Quick with { TotalSteps = 500 });
        var b = new DqnTrainer<TwoArmed>(Quick with { TotalSteps = 500 });
        a.Train();
        b.Train();
        Assert.Equal(a.Online.Parameters.ToArray(), b.Online.Parameters.ToArray());
    }

    [Fact]
    public void Epsilon_decays_linearly_over_the_exploration_fraction()
    {
        var trainer = new DqnTrainer<TwoArmed>(Quick with { TotalSteps = 1000, ExplorationFraction = 0.5, EpsilonStart = 1, EpsilonEnd = 0.05 });
        Assert.Equal(1.0, trainer.EpsilonAt(0));
        Assert.Equal(1.0 - 0.95 * 250 / 500, trainer.EpsilonAt(250), 9);
        Assert.Equal(0.05, trainer.EpsilonAt(500), 9);
        Assert.Equal(0.05, trainer.EpsilonAt(900));
    }

    [Fact]
    public void Training_steps_allocate_nothing()
    {
        var trainer = new DqnTrainer<TwoArmed>(Quick with { TotalSteps = 100_000 });
        trainer.Train(steps: 1000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        trainer.Train(steps: 2000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Invalid_settings_are_listed()
    {
        var error = Assert.Throws<HyperparameterException>(() => new DqnTrainer<TwoArmed>(Quick with { HiddenLayers = "64,x", BatchSize = 0, Tau = 0 }));
        Assert.Contains("HiddenLayers = '64,x' is not valid", error.Message);
        Assert.Contains("BatchSize = 0 is out of range", error.Message);
        Assert.Contains("Tau = 0 is out of range: allowed (0, 1]", error.Message);
    }
}

public class DqnCheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("qforge-dqn-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly DqnSettings Small = new()
    {
        TotalSteps = 3000, HiddenLayers = "32,32", LearningRate = 1e-3, BufferSize = 1000, BatchSize = 32, LearningStarts = 200,
        TrainFrequency = 4, GradientSteps = 2, TargetUpdateInterval = 100, ExplorationFraction = 0.5, EnvironmentCount = 2, DoubleDqn = true,
    };

    [Theory]
    [InlineData(QForge.Neural.OptimizerKind.Adam)]
    [InlineData(QForge.Neural.OptimizerKind.RmsProp)]
    public void A_resumed_run_mid_episode_matches_an_uninterrupted_one_bit_for_bit(QForge.Neural.OptimizerKind optimizer)
    {
        var settings = Small with { Optimizer = optimizer };
        var whole = new DqnTrainer<QForge.Experiments.CartPole.CartPole>(settings);
        whole.Train();

        string path = Path.Combine(_directory, "dqn.safetensors");
        var first = new DqnTrainer<QForge.Experiments.CartPole.CartPole>(settings);
        first.Train(steps: 1234); // CartPole episodes are longer than that on average: the copies are mid-episode
        first.SaveCheckpoint(path);
        var resumed = DqnTrainer<QForge.Experiments.CartPole.CartPole>.Resume(path, settings);
        Assert.Equal(first.Step, resumed.Step);
        resumed.Train();

        Assert.Equal(whole.Step, resumed.Step);
        Assert.Equal(whole.Updates, resumed.Updates);
        var a = new List<float>();
        var b = new List<float>();
        foreach (var t in whole.Online.ToTensors()) a.AddRange(t.ToFloat32());
        foreach (var t in resumed.Online.ToTensors()) b.AddRange(t.ToFloat32());
        Assert.Equal(a, b);
        Assert.Equal(whole.Evaluate(5, 3), resumed.Evaluate(5, 3));
    }

    [Fact]
    public void A_checkpoint_with_other_settings_is_refused_but_more_steps_are_allowed()
    {
        string path = Path.Combine(_directory, "dqn.safetensors");
        var trainer = new DqnTrainer<TwoArmed>(Small with { EnvironmentCount = 1 });
        trainer.Train(steps: 300);
        trainer.SaveCheckpoint(path);
        Assert.Equal(300, DqnTrainer<TwoArmed>.Resume(path, Small with { EnvironmentCount = 1, TotalSteps = 9000 }).Step);
        var error = Assert.Throws<InvalidDataException>(() => DqnTrainer<TwoArmed>.Resume(path, Small with { EnvironmentCount = 1, BatchSize = 64 }));
        Assert.Contains("BatchSize = 64 (checkpoint: 32)", error.Message);
    }
}

public class DqnPeriodicEvaluationTests
{
    private sealed class Evaluations : QForge.Training.ITrainingObserver
    {
        public List<(long Step, QForge.Training.EvaluationResult Result)> Seen { get; } = [];
        public void OnEpisodeEnd(in QForge.Training.EpisodeReport report) { }
        public void OnEvaluation(long step, in QForge.Training.EvaluationResult result) => Seen.Add((step, result));
    }

    [Fact]
    public void Greedy_evaluations_run_every_interval_and_reach_the_observer()
    {
        var observer = new Evaluations();
        var trainer = new DqnTrainer<TwoArmed>(new DqnSettings
        {
            TotalSteps = 2000, HiddenLayers = "16", LearningRate = 1e-2, BufferSize = 500, BatchSize = 16, LearningStarts = 100,
            TrainFrequency = 1, TargetUpdateInterval = 50, EvaluationInterval = 500, EvaluationEpisodes = 30,
        });
        trainer.Train(observer);
        Assert.Equal([500L, 1000L, 1500L, 2000L], observer.Seen.Select(e => e.Step));
        Assert.All(observer.Seen, e => Assert.Equal(30, e.Result.Episodes));
        Assert.Equal(1.0, observer.Seen[^1].Result.SuccessRate);
    }
}
