using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace QForge;

/// <summary>
/// The runtime half of the generated binders: parsing configuration strings with the invariant culture, range
/// checks and unknown-key detection, each reporting a message that names the key, the value and what is allowed.
/// Generated code calls these; they live here once rather than in every generated file.
/// </summary>
public static class HyperparameterBinding
{
    /// <summary>Reports every key of <paramref name="configuration"/> that is not one of <paramref name="known"/>, suggesting the closest name.</summary>
    public static void CheckKeys(IConfiguration configuration, IReadOnlyList<string> known, List<string> errors)
    {
        foreach (var child in configuration.GetChildren())
        {
            if (known.Any(k => string.Equals(k, child.Key, StringComparison.OrdinalIgnoreCase))) continue;
            string? suggestion = known.MinBy(k => Distance(k.ToLowerInvariant(), child.Key.ToLowerInvariant()));
            bool close = suggestion is not null && Distance(suggestion.ToLowerInvariant(), child.Key.ToLowerInvariant()) <= Math.Max(2, suggestion.Length / 3);
            errors.Add($"Unknown hyperparameter '{child.Key}'." + (close ? $" Did you mean '{suggestion}'?" : "") + $" Known: {string.Join(", ", known)}.");
        }
    }

    /// <summary>Parses an <see cref="int"/> value of key <paramref name="key"/> if present.</summary>
    public static int Int32(IConfiguration configuration, string key, int current, List<string> errors) =>
        configuration[key] is not { } raw ? current
        : int.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
        : Fail(errors, key, raw, $"an integer (int, {int.MinValue} to {int.MaxValue})", current);

    /// <summary>Parses a <see cref="long"/> value of key <paramref name="key"/> if present.</summary>
    public static long Int64(IConfiguration configuration, string key, long current, List<string> errors) =>
        configuration[key] is not { } raw ? current
        : long.TryParse(raw.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value
        : Fail(errors, key, raw, "an integer (long)", current);

    /// <summary>Parses a <see cref="double"/> value of key <paramref name="key"/> if present.</summary>
    public static double Double(IConfiguration configuration, string key, double current, List<string> errors) =>
        configuration[key] is not { } raw ? current
        : double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value
        : Fail(errors, key, raw, "a finite number (double, '.' as the decimal point)", current);

    /// <summary>Parses a <see cref="float"/> value of key <paramref name="key"/> if present.</summary>
    public static float Single(IConfiguration configuration, string key, float current, List<string> errors) =>
        configuration[key] is not { } raw ? current
        : float.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value) ? value
        : Fail(errors, key, raw, "a finite number (float, '.' as the decimal point)", current);

    /// <summary>Parses a <see cref="bool"/> value of key <paramref name="key"/> if present.</summary>
    public static bool Boolean(IConfiguration configuration, string key, bool current, List<string> errors) =>
        configuration[key] is not { } raw ? current
        : bool.TryParse(raw.Trim(), out bool value) ? value
        : Fail(errors, key, raw, "true or false", current);

    /// <summary>Reads a <see cref="string"/> value of key <paramref name="key"/> if present.</summary>
    public static string String(IConfiguration configuration, string key, string current) => configuration[key] ?? current;

    /// <summary>Parses an enum value (by name, case-insensitive) of key <paramref name="key"/> if present.</summary>
    public static TEnum Enum<TEnum>(IConfiguration configuration, string key, TEnum current, List<string> errors) where TEnum : struct, Enum =>
        configuration[key] is not { } raw ? current
        : System.Enum.TryParse(raw.Trim(), ignoreCase: true, out TEnum value) && System.Enum.IsDefined(value) && !int.TryParse(raw.Trim(), out _) ? value
        : Fail(errors, key, raw, "one of " + string.Join(", ", System.Enum.GetNames<TEnum>()), current);

    /// <summary>Reports <paramref name="value"/> when it is outside [<paramref name="min"/>, <paramref name="max"/>] (or (min, max] when <paramref name="minExclusive"/>).</summary>
    public static void Range(List<string> errors, string name, double value, double min, double max, bool minExclusive = false)
    {
        bool below = minExclusive ? !(value > min) : !(value >= min);
        if (below || !(value <= max))
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{name} = {value} is out of range: allowed {FormatRange(min, max, minExclusive)}."));
    }

    /// <summary>Formats a range as the messages and the help show it, e.g. <c>(0, 1]</c>.</summary>
    public static string FormatRange(double min, double max, bool minExclusive = false) =>
        string.Create(CultureInfo.InvariantCulture, $"{(minExclusive ? "(" : "[")}{min}, {max}]");

    /// <summary>Formats a value for the parameter dictionary: invariant culture, round-trip for floating point.</summary>
    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Format(double)"/>
    public static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Format(double)"/>
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Format(double)"/>
    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>The description of <paramref name="name"/> in a base type's help (for properties that inherit their doc comment).</summary>
    public static string InheritedDescription(IReadOnlyList<HyperparameterInfo> inherited, string name) =>
        inherited.FirstOrDefault(h => h.Name == name)?.Description ?? "";

    /// <summary>Throws <see cref="HyperparameterException"/> when <paramref name="errors"/> is not empty.</summary>
    public static void ThrowIfAny(List<string> errors)
    {
        if (errors.Count > 0) throw new HyperparameterException(errors);
    }

    private static T Fail<T>(List<string> errors, string key, string raw, string allowed, T current)
    {
        errors.Add($"{key} = '{raw}' is not valid: expected {allowed}.");
        return current;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
