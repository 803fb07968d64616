namespace QForge;

/// <summary>
/// Marks a <c>partial struct</c> implementing <see cref="IEnvironment{TObservation,TAction}"/> as a QForge environment:
/// the generator adds the spaces and the trainer view for it.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class EnvironmentAttribute : Attribute
{
    /// <summary>The time limit: episodes are truncated after this many steps. 0 (the default) means no limit.</summary>
    public int MaxEpisodeSteps { get; set; }

    /// <summary>For an environment whose actions are <see cref="int"/>s: the number of actions, 0 to ActionCount - 1.</summary>
    public int ActionCount { get; set; }

    /// <summary>The name shown in logs and tracking; defaults to the type's name.</summary>
    public string? Name { get; set; }
}

/// <summary>
/// Declares an <see cref="int"/> observation field as discrete with <paramref name="count"/> values, 0 to count - 1
/// (or <c>Min</c> to <c>Min + count - 1</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false)]
public sealed class DiscreteAttribute(int count) : Attribute
{
    /// <summary>The number of values the field takes.</summary>
    public int Count { get; } = count;

    /// <summary>The smallest value; the field takes values <c>Min</c> to <c>Min + Count - 1</c>.</summary>
    public int Min { get; set; }
}

/// <summary>
/// Declares a <see cref="float"/> or <see cref="double"/> observation field as continuous. With bounds
/// [min, max], networks see it scaled to [-1, 1]; without, they see the raw value (as CleanRL and Stable-Baselines3
/// feed Gymnasium's unbounded observations).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, Inherited = false)]
public sealed class ContinuousAttribute : Attribute
{
    /// <summary>An unbounded field: the feature is the raw value.</summary>
    public ContinuousAttribute()
    {
        Min = double.NegativeInfinity;
        Max = double.PositiveInfinity;
    }

    /// <summary>A field bounded to [<paramref name="min"/>, <paramref name="max"/>]: the feature is scaled to [-1, 1].</summary>
    public ContinuousAttribute(double min, double max)
    {
        Min = min;
        Max = max;
    }

    /// <summary>The lower bound of the field (negative infinity when unbounded).</summary>
    public double Min { get; }

    /// <summary>The upper bound of the field (positive infinity when unbounded).</summary>
    public double Max { get; }
}
