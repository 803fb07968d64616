using QForge.Tabular;

namespace QForge.Experiments.FrozenLake;

/// <summary>
/// Q-learning on the slippery 4x4 lake: alpha 0.05, gamma 0.99, epsilon 1 to 0.05 over 5000 episodes, 10000 episodes.
/// alpha 0.1 learns as fast but leaves enough noise in Q that near-tied states (2 and 10) can flip to a worse move;
/// 0.05 gave 0.72-0.76 success on seeds 1-6 where 0.1 gave 0.60-0.76.
/// </summary>
public sealed record LakeTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override double LearningRate { get; init; } = 0.05;

    /// <inheritdoc/>
    public override int Episodes { get; init; } = 10_000;
}
