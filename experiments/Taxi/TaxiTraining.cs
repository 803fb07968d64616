using QForge.Tabular;

namespace QForge.Experiments.Taxi;

/// <summary>Q-learning on Taxi: alpha 0.1, gamma 0.99, epsilon 1 to 0.05 over 2000 episodes, 5000 episodes.</summary>
[Hyperparameters]
public sealed partial record TaxiTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 5_000;

    /// <inheritdoc/>
    [SweepRange(0.02, 0.5, Log = true, Steps = 4)]
    public override double LearningRate { get; init; } = 0.1;

    /// <inheritdoc/>
    [Sweep(500, 2000, 4000)]
    public override int EpsilonDecayEpisodes { get; init; } = 2_000;

    /// <inheritdoc/>
    public override int EvaluationEpisodes { get; init; } = 100;
}

/// <summary>Tabular Q-learning on Taxi-v3.</summary>
[Experiment("taxi")]
public sealed partial class TaxiExperiment : QLearningExperiment<Taxi, TaxiTraining>;
