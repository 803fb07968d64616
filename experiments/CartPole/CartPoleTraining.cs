using QForge.Dqn;

namespace QForge.Experiments.CartPole;

/// <summary>
/// CleanRL's dqn.py configuration for CartPole-v1 (the defaults of <see cref="DqnSettings"/>): 500k steps, 4-120-84-2,
/// Adam 2.5e-4, batch 128, buffer 10k, gamma 0.99, target every 500 steps (tau 1), epsilon 1 to 0.05 over half the
/// steps, learning starts 10k, train every 10 steps.
/// </summary>
[Hyperparameters]
public sealed partial record CleanRLCartPole : DqnSettings;

/// <summary>
/// RL Zoo's DQN configuration for CartPole-v1: 50k steps, 256x256, lr 2.3e-3, batch 64, buffer 100k, learning starts
/// 1000, gamma 0.99, target every 10 steps, train every 256 steps with 128 gradient steps, epsilon 1 to 0.04 over 16%.
/// </summary>
[Hyperparameters]
public sealed partial record ZooCartPole : DqnSettings
{
    /// <inheritdoc/>
    public override long TotalSteps { get; init; } = 50_000;

    /// <inheritdoc/>
    public override string HiddenLayers { get; init; } = "256,256";

    /// <inheritdoc/>
    public override double LearningRate { get; init; } = 2.3e-3;

    /// <inheritdoc/>
    public override int BatchSize { get; init; } = 64;

    /// <inheritdoc/>
    public override int BufferSize { get; init; } = 100_000;

    /// <inheritdoc/>
    public override long LearningStarts { get; init; } = 1_000;

    /// <inheritdoc/>
    public override int TargetUpdateInterval { get; init; } = 10;

    /// <inheritdoc/>
    public override int TrainFrequency { get; init; } = 256;

    /// <inheritdoc/>
    public override int GradientSteps { get; init; } = 128;

    /// <inheritdoc/>
    public override double ExplorationFraction { get; init; } = 0.16;

    /// <inheritdoc/>
    public override double EpsilonEnd { get; init; } = 0.04;

    /// <inheritdoc/>
    public override DqnLoss Loss { get; init; } = DqnLoss.Huber;

    /// <inheritdoc/>
    public override double MaxGradNorm { get; init; } = 10;
}

/// <summary>DQN on CartPole-v1 with CleanRL's configuration.</summary>
[Experiment("cartpole")]
public sealed partial class CartPoleExperiment : DqnExperiment<CartPole, CleanRLCartPole>;

/// <summary>DQN on CartPole-v1 with RL Zoo's configuration.</summary>
[Experiment("cartpole-zoo")]
public sealed partial class CartPoleZooExperiment : DqnExperiment<CartPole, ZooCartPole>;
