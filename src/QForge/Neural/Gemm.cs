using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QForge.Neural;

/// <summary>
/// Single-precision matrix multiply for the shapes DQN uses (batch 1-256, widths up to a few hundred):
/// <c>C[M x N] (+)= op(A)[M x K] * B[K x N]</c>, all row-major, N a multiple of 16. A register-blocked kernel keeps a
/// 4 x 16 tile of C in eight 256-bit accumulators and streams B's rows through fused multiply-adds.
/// </summary>
internal static class Gemm
{
    /// <summary>The column granularity: every N is padded to a multiple of this.</summary>
    public const int Block = 16;

    /// <summary>
    /// C = op(A) B (or C += when <paramref name="accumulate"/>), where op(A)[m, k] = A[m * rowStride + k * columnStride]:
    /// (lda, 1) for A as stored, (1, lda) for A transposed.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int rowStride, int columnStride, ReadOnlySpan<float> b, Span<float> c,
        int m, int k, int n, bool accumulate)
    {
        if (n % Block != 0) throw new ArgumentException($"N = {n} must be a multiple of {Block}.", nameof(n));
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        ref float pc = ref MemoryMarshal.GetReference(c);
        int row = 0;
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
