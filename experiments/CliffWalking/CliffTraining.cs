using QForge.Tabular;

namespace QForge.Experiments.CliffWalking;

/// <summary>Q-learning on CliffWalking: alpha 0.5, gamma 0.99, epsilon 1 to 0.05 over 300 episodes, 1000 episodes.</summary>
[Hyperparameters]
public sealed partial record CliffTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 1_000;

    /// <inheritdoc/>
    public override double LearningRate { get; init; } = 0.5;

    /// <inheritdoc/>
    public override int EpsilonDecayEpisodes { get; init; } = 300;

    /// <inheritdoc/>
    public override int EvaluationEpisodes { get; init; } = 10;
}

/// <summary>Tabular Q-learning on CliffWalking-v0.</summary>
[Experiment("cliff-walking")]
public sealed partial class CliffExperiment : QLearningExperiment<CliffWalking, CliffTraining>;
