using System.Numerics;
using System.Runtime.CompilerServices;

namespace QForge;

/// <summary>
/// The run's random generator: xoshiro256** (Blackman and Vigna, 2018), seeded through SplitMix64.
/// A mutable struct passed by <c>ref</c>, so drawing a number is a few register operations and never allocates.
/// </summary>
/// <remarks>
/// Every random draw of a run comes from one <see cref="Rng"/> (or from generators split off it), so the same seed
/// and configuration give bit-identical results. <see cref="State"/> captures the generator for checkpoints;
/// <see cref="Split"/> derives an independent stream (a 2^128 jump), for example one per sweep trial.
/// </remarks>
public struct Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the generator: four SplitMix64 outputs of <paramref name="seed"/>, as the authors recommend.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Restores a generator saved with <see cref="State"/>.</summary>
    /// <exception cref="ArgumentException">The state is all zeros, which xoshiro cannot leave.</exception>
    public Rng(RngState state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
            throw new ArgumentException("An RNG state of four zero words is invalid for xoshiro256**.", nameof(state));
        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
    }

    /// <summary>The full generator state, to save in a checkpoint and restore with <see cref="Rng(RngState)"/>.</summary>
    public readonly RngState State => new(_s0, _s1, _s2, _s3);

    /// <summary>The next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A uniform double in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>
    /// A uniform integer in [0, <paramref name="exclusiveMax"/>), without bias (Lemire's multiply-shift with rejection).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int NextInt(int exclusiveMax)
    {
        ulong product = (NextUInt64() >> 32) * (ulong)(uint)exclusiveMax;
        if ((uint)product < (uint)exclusiveMax)
            return NextIntSlow(exclusiveMax, product);
        return (int)(product >> 32);
    }

    private int NextIntSlow(int exclusiveMax, ulong product)
    {
        uint threshold = (uint)-exclusiveMax % (uint)exclusiveMax;
        while ((uint)product < threshold)
            product = (NextUInt64() >> 32) * (ulong)(uint)exclusiveMax;
        return (int)(product >> 32);
    }

    /// <summary>
    /// Returns a generator for an independent stream and advances this one by 2^128 draws (xoshiro's jump), so that
    /// split generators never overlap for any practical run length.
    /// </summary>
    public Rng Split()
    {
        Rng child = this;
        Jump();
        return child;
    }

    /// <summary>Derives the generator of sub-stream <paramref name="index"/> of <paramref name="seed"/>, e.g. one per trial or environment copy.</summary>
    public static Rng ForStream(ulong seed, ulong index)
    {
        ulong x = seed;
        ulong mixed = SplitMix64(ref x) ^ (index * 0xD1342543DE82EF95UL + 0x9E3779B97F4A7C15UL);
        return new Rng(mixed);
    }

    private void Jump()
    {
        ReadOnlySpan<ulong> jump = [0x180ec6d33cfd0abaUL, 0xd5a61266f0c9392cUL, 0xa9582618e03fc9aaUL, 0x39abdc4529b1661cUL];
        ulong s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        foreach (ulong word in jump)
        {
            for (int b = 0; b < 64; b++)
            {
                if ((word & (1UL << b)) != 0)
                {
                    s0 ^= _s0; s1 ^= _s1; s2 ^= _s2; s3 ^= _s3;
                }
                NextUInt64();
            }
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The four state words of an <see cref="Rng"/>, as saved in checkpoints.</summary>
public readonly record struct RngState(ulong S0, ulong S1, ulong S2, ulong S3);
