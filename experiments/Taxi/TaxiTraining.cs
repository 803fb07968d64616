using QForge.Tabular;

namespace QForge.Experiments.Taxi;

/// <summary>Q-learning on Taxi: alpha 0.1, gamma 0.99, epsilon 1 to 0.05 over 2000 episodes, 5000 episodes.</summary>
public sealed record TaxiTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 5_000;

    /// <inheritdoc/>
    public override int EpsilonDecayEpisodes { get; init; } = 2_000;

    /// <inheritdoc/>
    public override int EvaluationEpisodes { get; init; } = 100;
}
