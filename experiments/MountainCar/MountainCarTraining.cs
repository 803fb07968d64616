using QForge.Dqn;

namespace QForge.Experiments.MountainCar;

/// <summary>
/// RL Zoo's DQN configuration for MountainCar-v0: 120k steps, 256x256, lr 4e-3, batch 128, buffer 10k, learning
/// starts 1000, gamma 0.98, target every 600 steps, train every 16 steps with 8 gradient steps, epsilon 1 to 0.07
/// over 20% of the steps; Huber loss and gradient-norm clipping at 10 as in Stable-Baselines3.
/// </summary>
[Hyperparameters]
public sealed partial record ZooMountainCar : DqnSettings
{
    /// <inheritdoc/>
    public override long TotalSteps { get; init; } = 120_000;

    /// <inheritdoc/>
    public override string HiddenLayers { get; init; } = "256,256";

    /// <inheritdoc/>
    public override double LearningRate { get; init; } = 4e-3;

    /// <inheritdoc/>
    public override int BatchSize { get; init; } = 128;

    /// <inheritdoc/>
    public override int BufferSize { get; init; } = 10_000;

    /// <inheritdoc/>
    public override long LearningStarts { get; init; } = 1_000;

    /// <inheritdoc/>
    public override double DiscountFactor { get; init; } = 0.98;

    /// <inheritdoc/>
    public override int TargetUpdateInterval { get; init; } = 600;

    /// <inheritdoc/>
    public override int TrainFrequency { get; init; } = 16;

    /// <inheritdoc/>
    public override int GradientSteps { get; init; } = 8;

    /// <inheritdoc/>
    public override double ExplorationFraction { get; init; } = 0.2;

    /// <inheritdoc/>
    public override double EpsilonEnd { get; init; } = 0.07;

    /// <inheritdoc/>
    public override DqnLoss Loss { get; init; } = DqnLoss.Huber;

    /// <inheritdoc/>
    public override double MaxGradNorm { get; init; } = 10;
}

/// <summary>DQN on MountainCar-v0 with RL Zoo's configuration.</summary>
[Experiment("mountain-car")]
public sealed partial class MountainCarExperiment : DqnExperiment<MountainCar, ZooMountainCar>;
