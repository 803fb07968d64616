using QForge.Tabular;

namespace QForge.Experiments.FrozenLake;

/// <summary>
/// Q-learning on the 4x4 lake: alpha 0.05, gamma 0.99, epsilon 1 to 0.05 over 5000 episodes, 10000 episodes.
/// alpha 0.1 learns as fast but leaves enough noise in Q that near-tied states (2 and 10) can flip to a worse move;
/// 0.05 gave 0.72-0.76 success on seeds 1-6 where 0.1 gave 0.60-0.76.
/// </summary>
[Hyperparameters]
public sealed partial record LakeTraining : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 10_000;

    /// <inheritdoc/>
    [Sweep(0.02, 0.05, 0.1, 0.2)]
    public override double LearningRate { get; init; } = 0.05;

    /// <summary>Whether moves slip sideways (1/3 intended, 1/3 each perpendicular), as in Gymnasium's default.</summary>
    public bool IsSlippery { get; init; } = true;
}

/// <summary>Q-learning on the 8x8 lake: 20000 episodes, epsilon 1 to 0.05 over 10000.</summary>
[Hyperparameters]
public sealed partial record Lake8x8Training : QLearningSettings
{
    /// <inheritdoc/>
    public override int Episodes { get; init; } = 20_000;

    /// <inheritdoc/>
    public override int EpsilonDecayEpisodes { get; init; } = 10_000;

    /// <summary>Whether moves slip sideways, as in Gymnasium's default.</summary>
    public bool IsSlippery { get; init; } = true;
}

/// <summary>Tabular Q-learning on FrozenLake-v1 (4x4).</summary>
[Experiment("frozen-lake")]
public sealed partial class LakeExperiment : QLearningExperiment<FrozenLake, LakeTraining>
{
    /// <inheritdoc/>
    public override FrozenLake CreateEnvironment(LakeTraining settings) => new(settings.IsSlippery);
}

/// <summary>Tabular Q-learning on FrozenLake8x8-v1.</summary>
[Experiment("frozen-lake-8x8")]
public sealed partial class Lake8x8Experiment : QLearningExperiment<FrozenLake8x8, Lake8x8Training>
{
    /// <inheritdoc/>
    public override FrozenLake8x8 CreateEnvironment(Lake8x8Training settings) => new(settings.IsSlippery);
}
