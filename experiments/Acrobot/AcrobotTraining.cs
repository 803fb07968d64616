using QForge.Dqn;

namespace QForge.Experiments.Acrobot;

/// <summary>
/// RL Zoo's DQN configuration for Acrobot-v1: 100k steps, 256x256, lr 6.3e-4, batch 128, buffer 50k, learning
/// starts 0, gamma 0.99, target every 250 steps, train every 4 steps with 4 gradient steps (Zoo's -1: one per
/// environment step), epsilon 1 to 0.1 over 12% of the steps; Huber loss and clipping at 10 as in Stable-Baselines3.
/// </summary>
[Hyperparameters]
public sealed partial record ZooAcrobot : DqnSettings
{
    /// <inheritdoc/>
    public override long TotalSteps { get; init; } = 100_000;

    /// <inheritdoc/>
    public override string HiddenLayers { get; init; } = "256,256";

    /// <inheritdoc/>
    public override double LearningRate { get; init; } = 6.3e-4;

    /// <inheritdoc/>
    public override int BatchSize { get; init; } = 128;

    /// <inheritdoc/>
    public override int BufferSize { get; init; } = 50_000;

    /// <inheritdoc/>
    public override long LearningStarts { get; init; } = 0;

    /// <inheritdoc/>
    public override int TargetUpdateInterval { get; init; } = 250;

    /// <inheritdoc/>
    public override int TrainFrequency { get; init; } = 4;

    /// <inheritdoc/>
    public override int GradientSteps { get; init; } = 4;

    /// <inheritdoc/>
    public override double ExplorationFraction { get; init; } = 0.12;

    /// <inheritdoc/>
    public override double EpsilonEnd { get; init; } = 0.1;

    /// <inheritdoc/>
    public override DqnLoss Loss { get; init; } = DqnLoss.Huber;

    /// <inheritdoc/>
    public override double MaxGradNorm { get; init; } = 10;
}

/// <summary>DQN on Acrobot-v1 with RL Zoo's configuration.</summary>
[Experiment("acrobot")]
public sealed partial class AcrobotExperiment : DqnExperiment<Acrobot, ZooAcrobot>;
