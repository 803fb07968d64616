using QForge.Tabular;

namespace QForge.Experiments.FrozenLake;

/// <summary>Q-learning on the slippery 4x4 lake: alpha 0.1, gamma 0.99, epsilon 1 to 0.05 over 5000 episodes.</summary>
public sealed record LakeTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 10_000;
}
