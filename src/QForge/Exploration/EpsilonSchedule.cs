namespace QForge.Exploration;

/// <summary>How epsilon changes over training.</summary>
public enum EpsilonDecay
{
    /// <summary>Epsilon falls by the same amount each period, from the start value to the end value over the decay periods, then stays (the original texts' schedule).</summary>
    Linear,

    /// <summary>Epsilon is multiplied by the decay rate each period, floored at the end value.</summary>
    Exponential,

    /// <summary>Epsilon stays at the start value.</summary>
    Constant,
}

/// <summary>
/// An epsilon-greedy exploration schedule: epsilon as a function of the period index (an episode for the tabular
/// trainer, an environment step for DQN). A pure function of its index, so checkpoints need only the index.
/// </summary>
/// <param name="Decay">The shape of the schedule.</param>
/// <param name="Start">Epsilon at period 0, in [0, 1].</param>
/// <param name="End">The floor epsilon decays to, in [0, <paramref name="Start"/>].</param>
/// <param name="DecayPeriods">Linear: the number of periods from start to end.</param>
/// <param name="DecayRate">Exponential: the factor applied each period, in (0, 1].</param>
public readonly record struct EpsilonSchedule(EpsilonDecay Decay, double Start, double End, long DecayPeriods, double DecayRate)
{
    /// <summary>A linear schedule from <paramref name="start"/> to <paramref name="end"/> over <paramref name="periods"/> periods.</summary>
    public static EpsilonSchedule Linear(double start, double end, long periods) => new(EpsilonDecay.Linear, start, end, periods, 1.0);

    /// <summary>An exponential schedule: <c>max(end, start * rate^t)</c>.</summary>
    public static EpsilonSchedule Exponential(double start, double end, double rate) => new(EpsilonDecay.Exponential, start, end, 0, rate);

    /// <summary>A constant epsilon.</summary>
    public static EpsilonSchedule Constant(double epsilon) => new(EpsilonDecay.Constant, epsilon, epsilon, 0, 1.0);

    /// <summary>Epsilon at period <paramref name="period"/> (0-based).</summary>
    public double ValueAt(long period) => Decay switch
    {
        EpsilonDecay.Linear when DecayPeriods <= 0 || period >= DecayPeriods => End,
        EpsilonDecay.Linear => Start - (Start - End) * period / DecayPeriods,
        EpsilonDecay.Exponential => Math.Max(End, Start * Math.Pow(DecayRate, period)),
        _ => Start,
    };

    /// <summary>Checks the parameters; returns a message naming what is wrong and what is allowed, or null when valid.</summary>
    public string? Validate()
    {
        if (!(Start is >= 0 and <= 1)) return $"epsilon start {Start} must be in [0, 1]";
        if (!(End is >= 0 and <= 1) || End > Start && Decay != EpsilonDecay.Constant) return $"epsilon end {End} must be in [0, start = {Start}]";
        if (Decay == EpsilonDecay.Linear && DecayPeriods < 0) return $"epsilon decay periods {DecayPeriods} must be >= 0";
        if (Decay == EpsilonDecay.Exponential && !(DecayRate is > 0 and <= 1)) return $"epsilon decay rate {DecayRate} must be in (0, 1]";
        return null;
    }
}
