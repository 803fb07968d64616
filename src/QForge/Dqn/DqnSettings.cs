using System.Globalization;
using QForge.Neural;

namespace QForge.Dqn;

/// <summary>The loss between Q(s, a) and its target.</summary>
public enum DqnLoss
{
    /// <summary>Mean squared error (CleanRL's choice).</summary>
    Mse,

    /// <summary>Huber / smooth L1 with delta 1 (Stable-Baselines3's choice).</summary>
    Huber,
}

/// <summary>
/// The hyperparameters of DQN. The defaults are CleanRL's <c>dqn.py</c> for CartPole-v1. Derive a
/// <c>[Hyperparameters] partial record</c> from it to change defaults or declare sweeps.
/// </summary>
[Hyperparameters]
public partial record DqnSettings
{
    /// <summary>Environment steps to train for.</summary>
    /// <value>Default 500000.</value>
    [ValidRange(1, 1e12)]
    public virtual long TotalSteps { get; init; } = 500_000;

    /// <summary>Hidden layer widths, comma-separated.</summary>
    /// <value>Default "120,84".</value>
    public virtual string HiddenLayers { get; init; } = "120,84";

    /// <summary>The optimiser's step size.</summary>
    /// <value>Default 2.5e-4.</value>
    [ValidRange(0, 1, MinExclusive = true)]
    public virtual double LearningRate { get; init; } = 2.5e-4;

    /// <summary>The optimiser.</summary>
    /// <value>Default Adam.</value>
    public virtual OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>The replay buffer's capacity in transitions.</summary>
    /// <value>Default 10000.</value>
    [ValidRange(1, 100_000_000)]
    public virtual int BufferSize { get; init; } = 10_000;

    /// <summary>Transitions per gradient step.</summary>
    /// <value>Default 128.</value>
    [ValidRange(1, 4096)]
    public virtual int BatchSize { get; init; } = 128;

    /// <summary>The discount factor gamma.</summary>
    /// <value>Default 0.99.</value>
    [ValidRange(0, 1)]
    public virtual double DiscountFactor { get; init; } = 0.99;

    /// <summary>Environment steps between target-network updates.</summary>
    /// <value>Default 500.</value>
    [ValidRange(1, int.MaxValue)]
    public virtual int TargetUpdateInterval { get; init; } = 500;

    /// <summary>The target update's mix: 1 copies the online network (hard update), less blends it in (Polyak).</summary>
    /// <value>Default 1.</value>
    [ValidRange(0, 1, MinExclusive = true)]
    public virtual double Tau { get; init; } = 1.0;

    /// <summary>Epsilon at the first step.</summary>
    /// <value>Default 1.</value>
    [ValidRange(0, 1)]
    public virtual double EpsilonStart { get; init; } = 1.0;

    /// <summary>The floor epsilon decays to.</summary>
    /// <value>Default 0.05.</value>
    [ValidRange(0, 1)]
    public virtual double EpsilonEnd { get; init; } = 0.05;

    /// <summary>The fraction of the total steps over which epsilon decays linearly.</summary>
    /// <value>Default 0.5.</value>
    [ValidRange(0, 1)]
    public virtual double ExplorationFraction { get; init; } = 0.5;

    /// <summary>Environment steps before the first gradient step.</summary>
    /// <value>Default 10000.</value>
    [ValidRange(0, 1e12)]
    public virtual long LearningStarts { get; init; } = 10_000;

    /// <summary>Environment steps between training phases.</summary>
    /// <value>Default 10.</value>
    [ValidRange(1, int.MaxValue)]
    public virtual int TrainFrequency { get; init; } = 10;

    /// <summary>Gradient steps per training phase.</summary>
    /// <value>Default 1.</value>
    [ValidRange(1, 100_000)]
    public virtual int GradientSteps { get; init; } = 1;

    /// <summary>Double DQN: the online network picks the next action, the target network values it.</summary>
    /// <value>Default false.</value>
    public virtual bool DoubleDqn { get; init; }

    /// <summary>The loss.</summary>
    /// <value>Default Mse.</value>
    public virtual DqnLoss Loss { get; init; } = DqnLoss.Mse;

    /// <summary>The largest global gradient norm; 0 turns clipping off.</summary>
    /// <value>Default 0.</value>
    [ValidRange(0, 1e6)]
    public virtual double MaxGradNorm { get; init; }

    /// <summary>Environment copies stepped together (one batched forward pass picks all their actions).</summary>
    /// <value>Default 1.</value>
    [ValidRange(1, 256)]
    public virtual int EnvironmentCount { get; init; } = 1;

    /// <summary>Environment steps between greedy evaluations during training (reported to the observer); 0 turns them off.</summary>
    /// <value>Default 0.</value>
    [ValidRange(0, 1e12)]
    public virtual long EvaluationInterval { get; init; }

    /// <summary>Greedy evaluation episodes after training (and at each periodic evaluation).</summary>
    /// <value>Default 20.</value>
    [ValidRange(1, int.MaxValue)]
    public virtual int EvaluationEpisodes { get; init; } = 20;

    /// <summary>The seed of every random draw of the run.</summary>
    /// <value>Default 1.</value>
    public virtual long Seed { get; init; } = 1;

    /// <summary>The hidden layer widths parsed from <see cref="HiddenLayers"/>.</summary>
    public int[] HiddenLayerSizes => HiddenLayers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();

    partial void OnValidate(List<string> errors)
    {
        var parts = HiddenLayers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => !int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 65_536))
            errors.Add($"{nameof(HiddenLayers)} = '{HiddenLayers}' is not valid: expected comma-separated widths from 1 to 65536, e.g. 120,84.");
        if (EpsilonEnd > EpsilonStart)
            errors.Add($"{nameof(EpsilonEnd)} = {EpsilonEnd} must not exceed {nameof(EpsilonStart)} = {EpsilonStart}.");
        if (!Enum.IsDefined(Optimizer)) errors.Add($"{nameof(Optimizer)} = {(int)Optimizer} is not one of {string.Join(", ", Enum.GetNames<OptimizerKind>())}.");
        if (!Enum.IsDefined(Loss)) errors.Add($"{nameof(Loss)} = {(int)Loss} is not one of {string.Join(", ", Enum.GetNames<DqnLoss>())}.");
    }

    /// <summary>Throws <see cref="HyperparameterException"/> listing every problem that <c>Validate</c> finds.</summary>
    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new HyperparameterException(errors);
    }
}
