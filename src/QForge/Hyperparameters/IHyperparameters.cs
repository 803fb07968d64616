using Microsoft.Extensions.Configuration;

namespace QForge;

/// <summary>
/// A hyperparameter type: what QForge's generator adds to a <see cref="HyperparametersAttribute"/> record or class.
/// Every member is generated from the type's properties and attributes, with no reflection.
/// </summary>
/// <typeparam name="TSelf">The hyperparameter type itself.</typeparam>
public interface IHyperparameters<TSelf> where TSelf : class, IHyperparameters<TSelf>
{
    /// <summary>
    /// Reads every property present in <paramref name="configuration"/> (keys are the property names, case-insensitive)
    /// over <paramref name="baseline"/> (the defaults when null) and validates the result.
    /// </summary>
    /// <exception cref="HyperparameterException">A key is unknown, a value does not parse, or a value is out of range; every problem is listed.</exception>
    static abstract TSelf Bind(IConfiguration configuration, TSelf? baseline = null);

    /// <summary>Every hyperparameter: name, type, default, valid range, sweep and the doc comment.</summary>
    static abstract IReadOnlyList<HyperparameterInfo> Describe();

    /// <summary>The sweep space declared by <see cref="SweepAttribute"/> and <see cref="SweepRangeAttribute"/>, in declaration order.</summary>
    static abstract IReadOnlyList<SweepDimension> SweepSpace { get; }

    /// <summary>The flat name -> value dictionary of every hyperparameter, formatted with the invariant culture (round-trip for floating point).</summary>
    IReadOnlyDictionary<string, string> ToParameters();

    /// <summary>Every problem with the values (name, value, what is allowed); empty when valid.</summary>
    IReadOnlyList<string> Validate();
}

/// <summary>One hyperparameter as the CLI's help and the tracking layer show it.</summary>
/// <param name="Name">The property name, which is also the configuration key.</param>
/// <param name="Type">The C# type, e.g. <c>double</c> or an enum's name.</param>
/// <param name="Default">The default value, formatted invariantly.</param>
/// <param name="Range">The valid range, e.g. <c>(0, 1]</c>, or the enum's names; null when unconstrained.</param>
/// <param name="Sweep">The declared sweep, e.g. <c>0.05, 0.1, 0.5</c> or <c>log [1E-05, 0.01]</c>; null when none.</param>
/// <param name="Description">The property's XML doc summary.</param>
public sealed record HyperparameterInfo(string Name, string Type, string Default, string? Range, string? Sweep, string Description);

/// <summary>How a sweep dimension is sampled.</summary>
public enum SweepKind
{
    /// <summary>A list of values.</summary>
    Values,

    /// <summary>A numeric range, linear.</summary>
    Range,

    /// <summary>A numeric range on a log scale.</summary>
    LogRange,
}

/// <summary>One swept hyperparameter.</summary>
/// <param name="Name">The hyperparameter.</param>
/// <param name="Kind">Listed values or a range.</param>
/// <param name="Values">The listed values, formatted invariantly (for <see cref="SweepKind.Values"/>).</param>
/// <param name="Min">The range's lower end.</param>
/// <param name="Max">The range's upper end.</param>
/// <param name="Steps">For a grid over a range: the number of points.</param>
/// <param name="IsInteger">The hyperparameter is an integer: range points are rounded.</param>
public sealed record SweepDimension(string Name, SweepKind Kind, IReadOnlyList<string> Values, double Min, double Max, int Steps, bool IsInteger)
{
    /// <summary>The values of this dimension on a grid: the listed values, or <see cref="Steps"/> points from min to max (geometric when log).</summary>
    public IReadOnlyList<string> GridValues()
    {
        if (Kind == SweepKind.Values) return Values;
        var points = new List<string>(Steps);
        for (int i = 0; i < Steps; i++)
        {
            double t = Steps == 1 ? 0 : (double)i / (Steps - 1);
            // The ends are exact; interior log points are geometric.
            double value = i == 0 ? Min : i == Steps - 1 ? Max
                : Kind == SweepKind.LogRange ? Min * Math.Pow(Max / Min, t) : Min + t * (Max - Min);
            string text = IsInteger
                ? Math.Round(value).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            if (!points.Contains(text)) points.Add(text);
        }
        return points;
    }
}

/// <summary>Hyperparameters could not be bound or are invalid: <see cref="Exception.Message"/> lists every problem.</summary>
public sealed class HyperparameterException(IReadOnlyList<string> errors)
    : Exception("Invalid hyperparameters:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    /// <summary>One message per problem, each naming the key, the value and what is allowed.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
