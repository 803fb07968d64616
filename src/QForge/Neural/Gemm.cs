using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QForge.Neural;

/// <summary>
/// Single-precision matrix multiply for the shapes DQN uses (batch 1-256, widths up to a few hundred):
/// <c>C[M x N] (+)= op(A)[M x K] * B[K x N]</c>, all row-major, N a multiple of 16. Register-blocked kernels keep a tile
/// of C in accumulators and stream B's rows through fused multiply-adds: 8 x 32 tiles in sixteen 512-bit registers
/// where the CPU runs 512-bit FMAs (Zen 5 does two per cycle, twice the 256-bit rate), 6 x 16 tiles in twelve 256-bit
/// registers elsewhere, and 4 x 16 tiles and single rows for what is left. Every element of C is the same chain of FMAs over k in order whichever kernel computes it,
/// so the result does not depend on the vector width: models are bit-identical on every x86-64 CPU with FMA.
/// </summary>
internal static class Gemm
{
    /// <summary>The column granularity: every N is padded to a multiple of this.</summary>
    public const int Block = 16;

    /// <summary>Whether blocks of eight rows use the 512-bit kernels; settable so benchmarks can compare both widths.</summary>
    internal static bool Wide = Vector512.IsHardwareAccelerated;

    /// <summary>Whether blocks of six rows use the 6 x 16 kernel (else 4 x 16); settable so benchmarks can compare.</summary>
    internal static bool SixRowTiles = true;

    /// <summary>
    /// C = op(A) B (or C += when <paramref name="accumulate"/>), where op(A)[m, k] = A[m * rowStride + k * columnStride]:
    /// (lda, 1) for A as stored, (1, lda) for A transposed.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int rowStride, int columnStride, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate) => Multiply(a, rowStride, columnStride, b, c, m, k, n, accumulate, Wide, SixRowTiles);

    /// <summary>As the overload above, with the 512-bit kernels and the 6-row kernel used or not as <paramref name="wide"/> and <paramref name="sixRowTiles"/> say.</summary>
    internal static void Multiply(ReadOnlySpan<float> a, int rowStride, int columnStride, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate, bool wide, bool sixRowTiles = true)
    {
        if (n % Block != 0) throw new ArgumentException($"N = {n} must be a multiple of {Block}.", nameof(n));
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        int row = 0;
        if (wide)
        {
            for (; row + 8 <= m; row += 8)
            {
                int col = 0;
                for (; col + 2 * Block <= n; col += 2 * Block)
                    Tile8x32(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
                if (col < n)
                    Tile8x16(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
            }
        }
        for (; sixRowTiles && row + 6 <= m; row += 6)
            for (int col = 0; col < n; col += Block)
                Tile6(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
        for (; row + 4 <= m; row += 4)
            for (int col = 0; col < n; col += Block)
                Tile4(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
        for (; row < m; row++)
        {
            // A single row is latency-bound with two accumulators: take four column blocks at once where they fit.
            int col = 0;
            for (; col + 4 * Block <= n; col += 4 * Block)
                Row1x64(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
            for (; col < n; col += Block)
                Tile1(ref pa, rowStride, columnStride, ref pb, ref pc, row, col, k, n, accumulate);
        }
    }

    /// <summary>One row of C, 64 columns: eight independent accumulators, so the fused multiply-adds pipeline.</summary>
    private static void Row1x64(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        Vector256<float> x0, x1, x2, x3, x4, x5, x6, x7;
        if (accumulate)
        {
            (x0, x1, x2, x3) = (Vector256.LoadUnsafe(ref c0), Vector256.LoadUnsafe(ref c0, 8), Vector256.LoadUnsafe(ref c0, 16), Vector256.LoadUnsafe(ref c0, 24));
            (x4, x5, x6, x7) = (Vector256.LoadUnsafe(ref c0, 32), Vector256.LoadUnsafe(ref c0, 40), Vector256.LoadUnsafe(ref c0, 48), Vector256.LoadUnsafe(ref c0, 56));
        }
        else
        {
            x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = Vector256<float>.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            ref float bRow = ref Unsafe.Add(ref b, i * n + col);
            var s = Vector256.Create(Unsafe.Add(ref a0, i * cs));
            x0 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow), x0);
            x1 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 8), x1);
            x2 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 16), x2);
            x3 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 24), x3);
            x4 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 32), x4);
            x5 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 40), x5);
            x6 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 48), x6);
            x7 = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 56), x7);
        }
        x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, 8); x2.StoreUnsafe(ref c0, 16); x3.StoreUnsafe(ref c0, 24);
        x4.StoreUnsafe(ref c0, 32); x5.StoreUnsafe(ref c0, 40); x6.StoreUnsafe(ref c0, 48); x7.StoreUnsafe(ref c0, 56);
    }

    /// <summary>
    /// Six rows by 16 columns in twelve 256-bit accumulators (with the two rows of B and a broadcast, 15 of the 16
    /// registers): enough independent FMA chains to cover the latency on both pipes (Zen 2: 5 cycles x 2 pipes), where
    /// four rows' eight chains left a fifth of the FMA slots empty.
    /// </summary>
    private static void Tile6(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        Vector256<float> x0, y0, x1, y1, x2, y2, x3, y3, x4, y4, x5, y5;
        if (accumulate)
        {
            (x0, y0) = (Vector256.LoadUnsafe(ref c0), Vector256.LoadUnsafe(ref c0, 8));
            (x1, y1) = (Vector256.LoadUnsafe(ref c0, (nuint)n), Vector256.LoadUnsafe(ref c0, (nuint)n + 8));
            (x2, y2) = (Vector256.LoadUnsafe(ref c0, (nuint)(2 * n)), Vector256.LoadUnsafe(ref c0, (nuint)(2 * n) + 8));
            (x3, y3) = (Vector256.LoadUnsafe(ref c0, (nuint)(3 * n)), Vector256.LoadUnsafe(ref c0, (nuint)(3 * n) + 8));
            (x4, y4) = (Vector256.LoadUnsafe(ref c0, (nuint)(4 * n)), Vector256.LoadUnsafe(ref c0, (nuint)(4 * n) + 8));
            (x5, y5) = (Vector256.LoadUnsafe(ref c0, (nuint)(5 * n)), Vector256.LoadUnsafe(ref c0, (nuint)(5 * n) + 8));
        }
        else
        {
            x0 = y0 = x1 = y1 = x2 = y2 = x3 = y3 = x4 = y4 = x5 = y5 = Vector256<float>.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            ref float bRow = ref Unsafe.Add(ref b, i * n + col);
            var lo = Vector256.LoadUnsafe(ref bRow);
            var hi = Vector256.LoadUnsafe(ref bRow, 8);
            ref float ak = ref Unsafe.Add(ref a0, i * cs);
            var s = Vector256.Create(ak);
            x0 = Vector256.FusedMultiplyAdd(s, lo, x0); y0 = Vector256.FusedMultiplyAdd(s, hi, y0);
            s = Vector256.Create(Unsafe.Add(ref ak, rs));
            x1 = Vector256.FusedMultiplyAdd(s, lo, x1); y1 = Vector256.FusedMultiplyAdd(s, hi, y1);
            s = Vector256.Create(Unsafe.Add(ref ak, 2 * rs));
            x2 = Vector256.FusedMultiplyAdd(s, lo, x2); y2 = Vector256.FusedMultiplyAdd(s, hi, y2);
            s = Vector256.Create(Unsafe.Add(ref ak, 3 * rs));
            x3 = Vector256.FusedMultiplyAdd(s, lo, x3); y3 = Vector256.FusedMultiplyAdd(s, hi, y3);
            s = Vector256.Create(Unsafe.Add(ref ak, 4 * rs));
            x4 = Vector256.FusedMultiplyAdd(s, lo, x4); y4 = Vector256.FusedMultiplyAdd(s, hi, y4);
            s = Vector256.Create(Unsafe.Add(ref ak, 5 * rs));
            x5 = Vector256.FusedMultiplyAdd(s, lo, x5); y5 = Vector256.FusedMultiplyAdd(s, hi, y5);
        }
        x0.StoreUnsafe(ref c0); y0.StoreUnsafe(ref c0, 8);
        x1.StoreUnsafe(ref c0, (nuint)n); y1.StoreUnsafe(ref c0, (nuint)n + 8);
        x2.StoreUnsafe(ref c0, (nuint)(2 * n)); y2.StoreUnsafe(ref c0, (nuint)(2 * n) + 8);
        x3.StoreUnsafe(ref c0, (nuint)(3 * n)); y3.StoreUnsafe(ref c0, (nuint)(3 * n) + 8);
        x4.StoreUnsafe(ref c0, (nuint)(4 * n)); y4.StoreUnsafe(ref c0, (nuint)(4 * n) + 8);
        x5.StoreUnsafe(ref c0, (nuint)(5 * n)); y5.StoreUnsafe(ref c0, (nuint)(5 * n) + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        ref float c1 = ref Unsafe.Add(ref c0, n);
        ref float c2 = ref Unsafe.Add(ref c1, n);
        ref float c3 = ref Unsafe.Add(ref c2, n);
        Vector256<float> x0, y0, x1, y1, x2, y2, x3, y3;
        if (accumulate)
        {
            (x0, y0) = (Vector256.LoadUnsafe(ref c0), Vector256.LoadUnsafe(ref c0, 8));
            (x1, y1) = (Vector256.LoadUnsafe(ref c1), Vector256.LoadUnsafe(ref c1, 8));
            (x2, y2) = (Vector256.LoadUnsafe(ref c2), Vector256.LoadUnsafe(ref c2, 8));
            (x3, y3) = (Vector256.LoadUnsafe(ref c3), Vector256.LoadUnsafe(ref c3, 8));
        }
        else
        {
            x0 = y0 = x1 = y1 = x2 = y2 = x3 = y3 = Vector256<float>.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            ref float bRow = ref Unsafe.Add(ref b, i * n + col);
            var lo = Vector256.LoadUnsafe(ref bRow);
            var hi = Vector256.LoadUnsafe(ref bRow, 8);
            ref float ak = ref Unsafe.Add(ref a0, i * cs);
            var s0 = Vector256.Create(ak);
            var s1 = Vector256.Create(Unsafe.Add(ref ak, rs));
            var s2 = Vector256.Create(Unsafe.Add(ref ak, 2 * rs));
            var s3 = Vector256.Create(Unsafe.Add(ref ak, 3 * rs));
            x0 = Vector256.FusedMultiplyAdd(s0, lo, x0); y0 = Vector256.FusedMultiplyAdd(s0, hi, y0);
            x1 = Vector256.FusedMultiplyAdd(s1, lo, x1); y1 = Vector256.FusedMultiplyAdd(s1, hi, y1);
            x2 = Vector256.FusedMultiplyAdd(s2, lo, x2); y2 = Vector256.FusedMultiplyAdd(s2, hi, y2);
            x3 = Vector256.FusedMultiplyAdd(s3, lo, x3); y3 = Vector256.FusedMultiplyAdd(s3, hi, y3);
        }
        x0.StoreUnsafe(ref c0); y0.StoreUnsafe(ref c0, 8);
        x1.StoreUnsafe(ref c1); y1.StoreUnsafe(ref c1, 8);
        x2.StoreUnsafe(ref c2); y2.StoreUnsafe(ref c2, 8);
        x3.StoreUnsafe(ref c3); y3.StoreUnsafe(ref c3, 8);
    }

    /// <summary>
    /// Eight rows by 32 columns in sixteen 512-bit accumulators: per k, two loads of B and eight broadcasts of A feed
    /// sixteen FMAs, enough independent chains to cover the FMA latency on both pipes.
    /// </summary>
    private static void Tile8x32(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        Vector512<float> x0, y0, x1, y1, x2, y2, x3, y3, x4, y4, x5, y5, x6, y6, x7, y7;
        if (accumulate)
        {
            (x0, y0) = (Vector512.LoadUnsafe(ref c0), Vector512.LoadUnsafe(ref c0, 16));
            (x1, y1) = (Vector512.LoadUnsafe(ref c0, (nuint)n), Vector512.LoadUnsafe(ref c0, (nuint)n + 16));
            (x2, y2) = (Vector512.LoadUnsafe(ref c0, (nuint)(2 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(2 * n) + 16));
            (x3, y3) = (Vector512.LoadUnsafe(ref c0, (nuint)(3 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(3 * n) + 16));
            (x4, y4) = (Vector512.LoadUnsafe(ref c0, (nuint)(4 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(4 * n) + 16));
            (x5, y5) = (Vector512.LoadUnsafe(ref c0, (nuint)(5 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(5 * n) + 16));
            (x6, y6) = (Vector512.LoadUnsafe(ref c0, (nuint)(6 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(6 * n) + 16));
            (x7, y7) = (Vector512.LoadUnsafe(ref c0, (nuint)(7 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(7 * n) + 16));
        }
        else
        {
            x0 = y0 = x1 = y1 = x2 = y2 = x3 = y3 = x4 = y4 = x5 = y5 = x6 = y6 = x7 = y7 = Vector512<float>.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            ref float bRow = ref Unsafe.Add(ref b, i * n + col);
            var lo = Vector512.LoadUnsafe(ref bRow);
            var hi = Vector512.LoadUnsafe(ref bRow, 16);
            ref float ak = ref Unsafe.Add(ref a0, i * cs);
            var s = Vector512.Create(ak);
            x0 = Vector512.FusedMultiplyAdd(s, lo, x0); y0 = Vector512.FusedMultiplyAdd(s, hi, y0);
            s = Vector512.Create(Unsafe.Add(ref ak, rs));
            x1 = Vector512.FusedMultiplyAdd(s, lo, x1); y1 = Vector512.FusedMultiplyAdd(s, hi, y1);
            s = Vector512.Create(Unsafe.Add(ref ak, 2 * rs));
            x2 = Vector512.FusedMultiplyAdd(s, lo, x2); y2 = Vector512.FusedMultiplyAdd(s, hi, y2);
            s = Vector512.Create(Unsafe.Add(ref ak, 3 * rs));
            x3 = Vector512.FusedMultiplyAdd(s, lo, x3); y3 = Vector512.FusedMultiplyAdd(s, hi, y3);
            s = Vector512.Create(Unsafe.Add(ref ak, 4 * rs));
            x4 = Vector512.FusedMultiplyAdd(s, lo, x4); y4 = Vector512.FusedMultiplyAdd(s, hi, y4);
            s = Vector512.Create(Unsafe.Add(ref ak, 5 * rs));
            x5 = Vector512.FusedMultiplyAdd(s, lo, x5); y5 = Vector512.FusedMultiplyAdd(s, hi, y5);
            s = Vector512.Create(Unsafe.Add(ref ak, 6 * rs));
            x6 = Vector512.FusedMultiplyAdd(s, lo, x6); y6 = Vector512.FusedMultiplyAdd(s, hi, y6);
            s = Vector512.Create(Unsafe.Add(ref ak, 7 * rs));
            x7 = Vector512.FusedMultiplyAdd(s, lo, x7); y7 = Vector512.FusedMultiplyAdd(s, hi, y7);
        }
        x0.StoreUnsafe(ref c0); y0.StoreUnsafe(ref c0, 16);
        x1.StoreUnsafe(ref c0, (nuint)n); y1.StoreUnsafe(ref c0, (nuint)n + 16);
        x2.StoreUnsafe(ref c0, (nuint)(2 * n)); y2.StoreUnsafe(ref c0, (nuint)(2 * n) + 16);
        x3.StoreUnsafe(ref c0, (nuint)(3 * n)); y3.StoreUnsafe(ref c0, (nuint)(3 * n) + 16);
        x4.StoreUnsafe(ref c0, (nuint)(4 * n)); y4.StoreUnsafe(ref c0, (nuint)(4 * n) + 16);
        x5.StoreUnsafe(ref c0, (nuint)(5 * n)); y5.StoreUnsafe(ref c0, (nuint)(5 * n) + 16);
        x6.StoreUnsafe(ref c0, (nuint)(6 * n)); y6.StoreUnsafe(ref c0, (nuint)(6 * n) + 16);
        x7.StoreUnsafe(ref c0, (nuint)(7 * n)); y7.StoreUnsafe(ref c0, (nuint)(7 * n) + 16);
    }

    /// <summary>Eight rows by the last 16 columns (N an odd number of blocks): eight 512-bit accumulators.</summary>
    private static void Tile8x16(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        Vector512<float> x0, x1, x2, x3, x4, x5, x6, x7;
        if (accumulate)
        {
            (x0, x1) = (Vector512.LoadUnsafe(ref c0), Vector512.LoadUnsafe(ref c0, (nuint)n));
            (x2, x3) = (Vector512.LoadUnsafe(ref c0, (nuint)(2 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(3 * n)));
            (x4, x5) = (Vector512.LoadUnsafe(ref c0, (nuint)(4 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(5 * n)));
            (x6, x7) = (Vector512.LoadUnsafe(ref c0, (nuint)(6 * n)), Vector512.LoadUnsafe(ref c0, (nuint)(7 * n)));
        }
        else
        {
            x0 = x1 = x2 = x3 = x4 = x5 = x6 = x7 = Vector512<float>.Zero;
        }
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            var bRow = Vector512.LoadUnsafe(ref Unsafe.Add(ref b, i * n + col));
            ref float ak = ref Unsafe.Add(ref a0, i * cs);
            x0 = Vector512.FusedMultiplyAdd(Vector512.Create(ak), bRow, x0);
            x1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, rs)), bRow, x1);
            x2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 2 * rs)), bRow, x2);
            x3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 3 * rs)), bRow, x3);
            x4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 4 * rs)), bRow, x4);
            x5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 5 * rs)), bRow, x5);
            x6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 6 * rs)), bRow, x6);
            x7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref ak, 7 * rs)), bRow, x7);
        }
        x0.StoreUnsafe(ref c0); x1.StoreUnsafe(ref c0, (nuint)n);
        x2.StoreUnsafe(ref c0, (nuint)(2 * n)); x3.StoreUnsafe(ref c0, (nuint)(3 * n));
        x4.StoreUnsafe(ref c0, (nuint)(4 * n)); x5.StoreUnsafe(ref c0, (nuint)(5 * n));
        x6.StoreUnsafe(ref c0, (nuint)(6 * n)); x7.StoreUnsafe(ref c0, (nuint)(7 * n));
    }

    private static void Tile1(ref float a, int rs, int cs, ref float b, ref float c, int row, int col, int k, int n, bool accumulate)
    {
        ref float c0 = ref Unsafe.Add(ref c, row * n + col);
        var x = accumulate ? Vector256.LoadUnsafe(ref c0) : Vector256<float>.Zero;
        var y = accumulate ? Vector256.LoadUnsafe(ref c0, 8) : Vector256<float>.Zero;
        ref float a0 = ref Unsafe.Add(ref a, row * rs);
        for (int i = 0; i < k; i++)
        {
            ref float bRow = ref Unsafe.Add(ref b, i * n + col);
            var s = Vector256.Create(Unsafe.Add(ref a0, i * cs));
            x = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow), x);
            y = Vector256.FusedMultiplyAdd(s, Vector256.LoadUnsafe(ref bRow, 8), y);
        }
        x.StoreUnsafe(ref c0);
        y.StoreUnsafe(ref c0, 8);
    }
}
