namespace QForge;

/// <summary>
/// An observation type a network can read: a fixed number of float features. Generated for every observation type:
/// one-hot for discrete fields, [-1, 1] for bounded continuous ones, 0/1 for booleans.
/// </summary>
public interface IFeatureSpace<TSelf> where TSelf : IFeatureSpace<TSelf>
{
    /// <summary>The number of features.</summary>
    static abstract int FeatureCount { get; }

    /// <summary>Writes the features of <paramref name="value"/> into the first <see cref="FeatureCount"/> elements of <paramref name="features"/>.</summary>
    static abstract void WriteFeatures(in TSelf value, Span<float> features);
}

/// <summary>The errors thrown by generated space code, kept out of line so the generated hot paths stay small.</summary>
public static class SpaceErrors
{
    /// <summary>A field holds a value outside its declared bounds.</summary>
    public static void FieldOutOfRange(string type, string field, long value, int min, long count) =>
        throw new ArgumentOutOfRangeException(field, value, $"{type}.{field} = {value} is outside its declared bounds {min}..{min + count - 1}.");

    /// <summary>An index is outside a space.</summary>
    public static void IndexOutOfRange(string type, int index, long count) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is outside the space of {type}: 0..{count - 1}.");

    /// <summary>A feature span is too short.</summary>
    public static void FeatureSpanTooShort(string type, int length, int needed) =>
        throw new ArgumentException($"{type} writes {needed} features; the span holds {length}.", "features");
}
