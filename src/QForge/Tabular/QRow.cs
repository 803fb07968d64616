using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace QForge.Tabular;

/// <summary>
/// Max and arg-max over one row of a <see cref="QTable"/>. Rows are padded to a vector width with negative infinity,
/// so a row of up to 8 actions is one vector load, a horizontal max and a compare, with no loop.
/// </summary>
/// <remarks>
/// Callers pass the action count as a JIT-time constant (a static abstract member of the environment), so after
/// inlining only the branch for that width remains.
/// </remarks>
public static class QRow
{
    /// <summary>The padded row length for <paramref name="actions"/> actions: 4 or the next multiple of 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Stride(int actions) =>
        actions <= 4 ? 4 : (actions + 7) & ~7;

    /// <summary>The largest value of the row that starts at <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Max(ref float row, int actions)
    {
        if (actions <= 4)
            return HorizontalMax(Vector128.LoadUnsafe(ref row)).ToScalar();
        if (actions <= 8)
            return HorizontalMax(Load8(ref row)).ToScalar();
        return Summarize(ref row, actions, out _);
    }

    /// <summary>
    /// The largest value of the row and, in <paramref name="ties"/>, the bit mask of the actions that reach it
    /// (bit a set for action a). For more than 32 actions the mask is 0 and <see cref="ArgMaxScalar"/> serves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Summarize(ref float row, int actions, out uint ties)
    {
        if (actions <= 4)
        {
            var v = Vector128.LoadUnsafe(ref row);
            var max = HorizontalMax(v);
            ties = Vector128.Equals(v, max).ExtractMostSignificantBits();
            return max.ToScalar();
        }
        if (actions <= 8)
        {
            var v = Vector256.LoadUnsafe(ref row);
            var max = HorizontalMax(Vector128.MaxNative(v.GetLower(), v.GetUpper()));
            ties = Vector256.Equals(v, Vector256.Create(max, max)).ExtractMostSignificantBits();
            return max.ToScalar();
        }
        if (actions <= 32)
        {
            int vectors = (actions + 7) >> 3;
            var m = Vector256.LoadUnsafe(ref row);
            for (int i = 1; i < vectors; i++)
                m = Vector256.MaxNative(m, Vector256.LoadUnsafe(ref Unsafe.Add(ref row, i * 8)));
            var max = HorizontalMax(Vector128.MaxNative(m.GetLower(), m.GetUpper()));
            var wide = Vector256.Create(max, max);
            uint mask = 0;
            for (int i = 0; i < vectors; i++)
                mask |= Vector256.Equals(Vector256.LoadUnsafe(ref Unsafe.Add(ref row, i * 8)), wide).ExtractMostSignificantBits() << (i * 8);
            ties = mask;
            return max.ToScalar();
        }
        ties = 0;
        return MaxScalar(ref row, actions);
    }

    /// <summary>
    /// The index of the largest value of the row; among several equal maxima one is drawn uniformly from
    /// <paramref name="rng"/> (a draw is made only when there is a tie).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ArgMax(ref float row, int actions, ref Rng rng)
    {
        if (actions > 32)
            return ArgMaxScalar(ref row, actions, ref rng);
        Summarize(ref row, actions, out uint ties);
        return PickTie(ties, ref rng);
    }

    /// <summary>One of the set bits of a non-zero <paramref name="ties"/> mask, uniformly; a draw is made only when several are set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PickTie(uint ties, ref Rng rng) =>
        (ties & (ties - 1)) == 0 ? BitOperations.TrailingZeroCount(ties) : PickSetBit(ties, ref rng);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Load8(ref float row)
    {
        var v = Vector256.LoadUnsafe(ref row);
        return Vector128.MaxNative(v.GetLower(), v.GetUpper());
    }

    /// <summary>Every lane holds the maximum of <paramref name="v"/>'s four lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> HorizontalMax(Vector128<float> v)
    {
        v = Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(v, Vector128.Shuffle(v, Vector128.Create(1, 0, 3, 2)));
    }

    private static int PickSetBit(uint mask, ref Rng rng)
    {
        int skip = rng.NextInt(BitOperations.PopCount(mask));
        for (; skip > 0; skip--)
            mask &= mask - 1;
        return BitOperations.TrailingZeroCount(mask);
    }

    private static float MaxScalar(ref float row, int actions)
    {
        float max = row;
        for (int a = 1; a < actions; a++)
            max = MathF.Max(max, Unsafe.Add(ref row, a));
        return max;
    }

    /// <summary>Arg-max by a scalar scan, for rows too wide for a 32-bit tie mask.</summary>
    public static int ArgMaxScalar(ref float row, int actions, ref Rng rng)
    {
        float max = MaxScalar(ref row, actions);
        int ties = 0;
        for (int a = 0; a < actions; a++)
            if (Unsafe.Add(ref row, a) == max) ties++;
        int pick = ties == 1 ? 0 : rng.NextInt(ties);
        for (int a = 0; a < actions; a++)
        {
            if (Unsafe.Add(ref row, a) == max && pick-- == 0)
                return a;
        }
        return 0;
    }
}
