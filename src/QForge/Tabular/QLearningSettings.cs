using QForge.Exploration;

namespace QForge.Tabular;

/// <summary>
/// The hyperparameters of tabular Q-learning. Derive a <c>[Hyperparameters] partial record</c> from it to change
/// defaults or declare sweeps; every property can be set from configuration.
/// </summary>
[Hyperparameters]
public partial record QLearningSettings
{
    /// <summary>Training episodes.</summary>
    /// <value>Default 10000.</value>
    [ValidRange(1, int.MaxValue)]
    public virtual int Episodes { get; init; } = 10_000;

    /// <summary>The step size alpha of the update Q(s,a) += alpha * (target - Q(s,a)).</summary>
    /// <value>Default 0.1.</value>
    [ValidRange(0, 1, MinExclusive = true)]
    public virtual double LearningRate { get; init; } = 0.1;

    /// <summary>The discount factor gamma of future rewards.</summary>
    /// <value>Default 0.99.</value>
    [ValidRange(0, 1)]
    public virtual double DiscountFactor { get; init; } = 0.99;

    /// <summary>The shape of the epsilon schedule over episodes.</summary>
    /// <value>Default Linear.</value>
    public virtual EpsilonDecay EpsilonDecay { get; init; } = EpsilonDecay.Linear;

    /// <summary>Epsilon (the exploration rate) in the first episode.</summary>
    /// <value>Default 1.0.</value>
    [ValidRange(0, 1)]
    public virtual double EpsilonStart { get; init; } = 1.0;

    /// <summary>The floor epsilon decays to.</summary>
    /// <value>Default 0.05.</value>
    [ValidRange(0, 1)]
    public virtual double EpsilonEnd { get; init; } = 0.05;

    /// <summary>Linear decay: the number of episodes from start to end.</summary>
    /// <value>Default 5000.</value>
    [ValidRange(0, int.MaxValue)]
    public virtual int EpsilonDecayEpisodes { get; init; } = 5_000;

    /// <summary>Exponential decay: the factor applied to epsilon each episode.</summary>
    /// <value>Default 0.999.</value>
    [ValidRange(0, 1, MinExclusive = true)]
    public virtual double EpsilonDecayRate { get; init; } = 0.999;

    /// <summary>The initial value of every Q(s, a).</summary>
    /// <value>Default 0.</value>
    [ValidRange(-1e6, 1e6)]
    public virtual double InitialQ { get; init; }

    /// <summary>Experience replay: the buffer capacity in transitions; 0 turns replay off (online updates).</summary>
    /// <value>Default 0.</value>
    [ValidRange(0, 100_000_000)]
    public virtual int ReplayCapacity { get; init; }

    /// <summary>Experience replay: transitions sampled and updated after each step.</summary>
    /// <value>Default 32.</value>
    [ValidRange(1, 65_536)]
    public virtual int ReplayBatchSize { get; init; } = 32;

    /// <summary>Greedy evaluation episodes after training.</summary>
    /// <value>Default 1000.</value>
    [ValidRange(1, int.MaxValue)]
    public virtual int EvaluationEpisodes { get; init; } = 1_000;

    /// <summary>The seed of every random draw of the run.</summary>
    /// <value>Default 1.</value>
    public virtual long Seed { get; init; } = 1;

    /// <summary>The exploration schedule these settings describe.</summary>
    public EpsilonSchedule Exploration => new(EpsilonDecay, EpsilonStart, EpsilonEnd, EpsilonDecayEpisodes, EpsilonDecayRate);

    partial void OnValidate(List<string> errors)
    {
        if (!Enum.IsDefined(EpsilonDecay))
            errors.Add($"{nameof(EpsilonDecay)} = {(int)EpsilonDecay} is not one of {string.Join(", ", Enum.GetNames<EpsilonDecay>())}.");
        if (EpsilonDecay != EpsilonDecay.Constant && EpsilonEnd > EpsilonStart)
            errors.Add($"{nameof(EpsilonEnd)} = {EpsilonEnd} must not exceed {nameof(EpsilonStart)} = {EpsilonStart}.");
    }

    /// <summary>Throws <see cref="HyperparameterException"/> listing every problem that <c>Validate</c> finds.</summary>
    public void EnsureValid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new HyperparameterException(errors);
    }
}
