using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QForge.Neural;

/// <summary>The optimisers, with PyTorch's default constants.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (betas 0.9, 0.999; epsilon 1e-8).</summary>
    Adam,

    /// <summary>Plain stochastic gradient descent.</summary>
    Sgd,

    /// <summary>RMSprop (alpha 0.99, epsilon 1e-8).</summary>
    RmsProp,
}

/// <summary>Updates parameters from gradients in place, without allocating; state (moments) is kept for checkpoints.</summary>
public sealed class Optimizer
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, Alpha = 0.99f, Epsilon = 1e-8f;
    private readonly float[] _first;
    private readonly float[] _second;
    private readonly float[] _scratch;

    /// <summary>Creates an optimiser for <paramref name="parameterCount"/> values.</summary>
    public Optimizer(OptimizerKind kind, float learningRate, int parameterCount)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        Kind = kind;
        LearningRate = learningRate;
        _first = kind == OptimizerKind.Adam ? new float[parameterCount] : [];
        _second = kind == OptimizerKind.Sgd ? [] : new float[parameterCount];
        _scratch = new float[parameterCount];
    }

    /// <summary>The algorithm.</summary>
    public OptimizerKind Kind { get; }

    /// <summary>The step size.</summary>
    public float LearningRate { get; }

    /// <summary>Steps taken (Adam's bias correction uses it).</summary>
    public long Steps { get; internal set; }

    /// <summary>The first moments (Adam), for checkpoints.</summary>
    internal float[] FirstMoments => _first;

    /// <summary>The second moments (Adam, RMSprop), for checkpoints.</summary>
    internal float[] SecondMoments => _second;

    /// <summary>Values per chunk: the update makes several passes, and a chunk's five arrays stay in the L1 cache between them.</summary>
    private const int Chunk = 1024;

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => Step(parameters, gradients, Fused);

    /// <summary>
    /// Whether Adam runs as one pass of 512-bit vectors (where the CPU accelerates them) or 256-bit ones (where it has
    /// AVX2 and FMA, so the pass computes what TensorPrimitives does to the bit), for lengths that are multiples of 16;
    /// settable so benchmarks can compare.
    /// </summary>
    internal static bool Fused = Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>As the overload above; <paramref name="fused"/> chooses Adam's single pass or its pass per operation (same values).</summary>
    internal void Step(Span<float> parameters, ReadOnlySpan<float> gradients, bool fused)
    {
        Steps++;
        float correction1 = 1f - MathF.Pow(Beta1, Steps);
        float correction2 = MathF.Sqrt(1f - MathF.Pow(Beta2, Steps));
        if (fused && Kind == OptimizerKind.Adam && parameters.Length % Vector512<float>.Count == 0 && gradients.Length == parameters.Length)
        {
            AdamFused(parameters, gradients, correction1, correction2);
            return;
        }
        // Every operation is element-wise, so chunking changes no value, only how often the data leaves the cache.
        for (int start = 0; start < parameters.Length; start += Chunk)
        {
            int length = Math.Min(Chunk, parameters.Length - start);
            Update(parameters.Slice(start, length), gradients.Slice(start, length), start, correction1, correction2);
        }
    }

    private void Update(Span<float> parameters, ReadOnlySpan<float> gradients, int start, float correction1, float correction2)
    {
        Span<float> scratch = _scratch.AsSpan(start, parameters.Length);
        switch (Kind)
        {
            case OptimizerKind.Sgd:
                TensorPrimitives.MultiplyAdd(gradients, -LearningRate, parameters, parameters);
                break;
            case OptimizerKind.RmsProp:
            {
                // v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)
                Span<float> second = _second.AsSpan(start, parameters.Length);
                TensorPrimitives.Multiply(gradients, gradients, scratch);
                TensorPrimitives.Lerp(scratch, second, Alpha, second);
                TensorPrimitives.Sqrt(second, scratch);
                TensorPrimitives.Add(scratch, Epsilon, scratch);
                TensorPrimitives.Divide(gradients, scratch, scratch);
                TensorPrimitives.MultiplyAdd(scratch, -LearningRate, parameters, parameters);
                break;
            }
            default:
            {
                // PyTorch's Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
                // p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
                Span<float> first = _first.AsSpan(start, parameters.Length), second = _second.AsSpan(start, parameters.Length);
                TensorPrimitives.Lerp(gradients, first, Beta1, first);
                TensorPrimitives.Multiply(gradients, gradients, scratch);
                TensorPrimitives.Lerp(scratch, second, Beta2, second);
                TensorPrimitives.Sqrt(second, scratch);
                TensorPrimitives.Divide(scratch, correction2, scratch);
                TensorPrimitives.Add(scratch, Epsilon, scratch);
                TensorPrimitives.Divide(first, scratch, scratch);
                TensorPrimitives.MultiplyAdd(scratch, -LearningRate / correction1, parameters, parameters);
                break;
            }
        }
    }

    /// <summary>
    /// Adam in one pass: each vector of parameters, gradients and moments is loaded once and stored once, where the
    /// per-operation form streams them through eight passes. The arithmetic is that of the per-operation form to the
    /// bit (a test compares them): TensorPrimitives.Lerp(x, y, a) computes fma(x, 1 - a, y a) where the CPU has FMA (and
    /// 512-bit vectors imply it), then come the square root, the divisions and a separate multiply and add.
    /// </summary>
    private void AdamFused(Span<float> parameters, ReadOnlySpan<float> gradients, float correction1, float correction2)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            AdamFused256(parameters, gradients, correction1, correction2);
            return;
        }
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetArrayDataReference(_first);
        ref float v = ref MemoryMarshal.GetArrayDataReference(_second);
        var beta1 = Vector512.Create(Beta1);
        var beta2 = Vector512.Create(Beta2);
        var keep1 = Vector512<float>.One - beta1;
        var keep2 = Vector512<float>.One - beta2;
        var scale2 = Vector512.Create(correction2);
        var epsilon = Vector512.Create(Epsilon);
        var step = Vector512.Create(-LearningRate / correction1);
        for (nuint i = 0; i < (nuint)parameters.Length; i += (nuint)Vector512<float>.Count)
        {
            var gradient = Vector512.LoadUnsafe(ref g, i);
            var first = Vector512.FusedMultiplyAdd(gradient, keep1, Vector512.LoadUnsafe(ref m, i) * beta1);
            var second = Vector512.FusedMultiplyAdd(gradient * gradient, keep2, Vector512.LoadUnsafe(ref v, i) * beta2);
            first.StoreUnsafe(ref m, i);
            second.StoreUnsafe(ref v, i);
            var update = first / ((Vector512.Sqrt(second) / scale2) + epsilon);
            ((update * step) + Vector512.LoadUnsafe(ref p, i)).StoreUnsafe(ref p, i);
        }
    }

    /// <summary>
    /// <see cref="AdamFused"/> in 256-bit vectors, for CPUs without 512-bit ones (AMD before Zen 4, for one): the same
    /// operations in the same order. On such a CPU (a Zen 2 here) the eight passes took ~14% of an RL Zoo update.
    /// </summary>
    private void AdamFused256(Span<float> parameters, ReadOnlySpan<float> gradients, float correction1, float correction2)
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetArrayDataReference(_first);
        ref float v = ref MemoryMarshal.GetArrayDataReference(_second);
        var beta1 = Vector256.Create(Beta1);
        var beta2 = Vector256.Create(Beta2);
        var keep1 = Vector256<float>.One - beta1;
        var keep2 = Vector256<float>.One - beta2;
        var scale2 = Vector256.Create(correction2);
        var epsilon = Vector256.Create(Epsilon);
        var step = Vector256.Create(-LearningRate / correction1);
        for (nuint i = 0; i < (nuint)parameters.Length; i += (nuint)Vector256<float>.Count)
        {
            var gradient = Vector256.LoadUnsafe(ref g, i);
            var first = Vector256.FusedMultiplyAdd(gradient, keep1, Vector256.LoadUnsafe(ref m, i) * beta1);
            var second = Vector256.FusedMultiplyAdd(gradient * gradient, keep2, Vector256.LoadUnsafe(ref v, i) * beta2);
            first.StoreUnsafe(ref m, i);
            second.StoreUnsafe(ref v, i);
            var update = first / ((Vector256.Sqrt(second) / scale2) + epsilon);
            ((update * step) + Vector256.LoadUnsafe(ref p, i)).StoreUnsafe(ref p, i);
        }
    }

    /// <summary>Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/> (PyTorch's clip_grad_norm_); returns the norm before clipping.</summary>
    public static float ClipNorm(Span<float> gradients, float maxNorm)
    {
        float norm = TensorPrimitives.Norm(gradients);
        if (norm > maxNorm) TensorPrimitives.Multiply(gradients, maxNorm / (norm + 1e-6f), gradients);
        return norm;
    }
}
