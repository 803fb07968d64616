namespace QForge;

/// <summary>
/// Marks a <c>partial record</c> (or class) of hyperparameters: the generator adds binding from configuration,
/// validation, the flat parameter dictionary and the sweep space.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class HyperparametersAttribute : Attribute;

/// <summary>The values a numeric hyperparameter may take, inclusive at both ends unless stated.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class ValidRangeAttribute(double min, double max) : Attribute
{
    /// <summary>The smallest allowed value.</summary>
    public double Min { get; } = min;

    /// <summary>The largest allowed value.</summary>
    public double Max { get; } = max;

    /// <summary>The minimum itself is not allowed (an open interval at the bottom).</summary>
    public bool MinExclusive { get; set; }
}

/// <summary>The values a hyperparameter takes in a sweep: a list of values.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class SweepAttribute(params object[] values) : Attribute
{
    /// <summary>The listed values.</summary>
    public object[] Values { get; } = values;
}

/// <summary>The values a numeric hyperparameter takes in a sweep: a range, sampled linearly or on a log scale.</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class SweepRangeAttribute(double min, double max) : Attribute
{
    /// <summary>The lower end.</summary>
    public double Min { get; } = min;

    /// <summary>The upper end.</summary>
    public double Max { get; } = max;

    /// <summary>Sample on a log scale (both ends must be positive).</summary>
    public bool Log { get; set; }

    /// <summary>For a grid: the number of points from <see cref="Min"/> to <see cref="Max"/>.</summary>
    public int Steps { get; set; } = 5;
}
