using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QForge.Tabular;

/// <summary>
/// A table of action values Q(s, a) in float32, one row per state. Rows are padded to a vector width (see
/// <see cref="QRow.Stride"/>) with negative infinity so that max and arg-max are branch-free vector operations.
/// </summary>
/// <remarks>
/// Caching each row's maximum and tie mask (refreshed on every write) was measured and rejected: the refresh on the
/// update path made Taxi training 25% slower than reducing a row when it is read.
/// </remarks>
public sealed class QTable : IEquatable<QTable>
{
    private readonly float[] _values;

    /// <summary>Creates a table of <paramref name="states"/> x <paramref name="actions"/> values set to <paramref name="initialValue"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive, or the table would exceed 2^31 floats.</exception>
    public QTable(int states, int actions, float initialValue = 0f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(states);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actions);
        if (!float.IsFinite(initialValue))
            throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, "The initial Q value must be finite.");
        StateCount = states;
        ActionCount = actions;
        Stride = QRow.Stride(actions);
        long length = (long)states * Stride;
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(states), states, $"{states} states x {actions} actions is too large for a Q-table (at most {Array.MaxLength} padded entries).");
        _values = GC.AllocateUninitializedArray<float>((int)length);
        for (int s = 0; s < states; s++)
        {
            Span<float> row = _values.AsSpan(s * Stride, Stride);
            row[..actions].Fill(initialValue);
            row[actions..].Fill(float.NegativeInfinity);
        }
    }

    /// <summary>The number of states (rows).</summary>
    public int StateCount { get; }

    /// <summary>The number of actions (columns).</summary>
    public int ActionCount { get; }

    /// <summary>The padded row length in floats.</summary>
    public int Stride { get; }

    /// <summary>Q(<paramref name="state"/>, <paramref name="action"/>).</summary>
    public float this[int state, int action]
    {
        get => Row(state)[action];
        set
        {
            if ((uint)action >= (uint)ActionCount)
                throw new ArgumentOutOfRangeException(nameof(action), action, $"The table has actions 0 to {ActionCount - 1}.");
            if (!float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "Q values must be finite.");
            _values[RowStart(state) + action] = value;
        }
    }

    /// <summary>The action values of <paramref name="state"/> (without padding).</summary>
    public ReadOnlySpan<float> Row(int state) => _values.AsSpan(RowStart(state), ActionCount);

    private int RowStart(int state)
    {
        if ((uint)state >= (uint)StateCount)
            throw new ArgumentOutOfRangeException(nameof(state), state, $"The table has states 0 to {StateCount - 1}.");
        return state * Stride;
    }

    /// <summary>The greedy value max_a Q(<paramref name="state"/>, a).</summary>
    public float MaxValue(int state) => QRow.Max(ref RowReference(state), ActionCount);

    /// <summary>The greedy action of <paramref name="state"/>, ties broken uniformly with <paramref name="rng"/>.</summary>
    public int GreedyAction(int state, ref Rng rng) => QRow.ArgMax(ref RowReference(state), ActionCount, ref rng);

    /// <summary>Copies the values to <paramref name="destination"/> densely, row by row (states x actions).</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length < StateCount * ActionCount)
            throw new ArgumentException($"The destination holds {destination.Length} values; the table has {StateCount * ActionCount}.", nameof(destination));
        for (int s = 0; s < StateCount; s++)
            _values.AsSpan(s * Stride, ActionCount).CopyTo(destination.Slice(s * ActionCount, ActionCount));
    }

    /// <summary>Sets the values from a dense row-major span (states x actions).</summary>
    public void CopyFrom(ReadOnlySpan<float> source)
    {
        if (source.Length != StateCount * ActionCount)
            throw new ArgumentException($"The source holds {source.Length} values; the table needs {StateCount * ActionCount}.", nameof(source));
        foreach (float value in source)
            if (!float.IsFinite(value))
                throw new ArgumentException("Q values must be finite.", nameof(source));
        for (int s = 0; s < StateCount; s++)
        {
            source.Slice(s * ActionCount, ActionCount).CopyTo(_values.AsSpan(s * Stride, ActionCount));
        }
    }

    /// <summary>The values as a dense row-major array (states x actions).</summary>
    public float[] ToArray()
    {
        var result = new float[StateCount * ActionCount];
        CopyTo(result);
        return result;
    }

    /// <summary>Bit-for-bit equality of shape and values.</summary>
    public bool Equals(QTable? other) =>
        other is not null && StateCount == other.StateCount && ActionCount == other.ActionCount
        && MemoryMarshal.AsBytes(_values.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other._values.AsSpan()));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as QTable);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StateCount, ActionCount, _values.Length);

    /// <summary>A reference to the first value of the row of <paramref name="state"/>; the caller guarantees the range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref float RowReference(int state)
    {
        if ((uint)state >= (uint)StateCount)
            ThrowStateOutOfRange(state);
        return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), (nint)state * Stride);
    }

    /// <summary>The backing array, rows padded to <see cref="Stride"/>: for the trainers' hot loops.</summary>
    internal float[] Values => _values;

    internal void ThrowStateOutOfRange(int state) =>
        throw new InvalidOperationException($"The environment produced state {state}, outside the observation space 0..{StateCount - 1}; check the observation's declared bounds.");
}
