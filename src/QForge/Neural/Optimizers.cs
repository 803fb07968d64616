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

    /// <summary>
    /// As the overload above; <paramref name="fused"/> chooses Adam's single pass or its pass per operation (same values),
    /// and <paramref name="wide"/> the single pass's width (512-bit where the CPU accelerates it, by default).
    /// </summary>
    internal void Step(Span<float> parameters, ReadOnlySpan<float> gradients, bool fused, bool? wide = null)
    {
        Steps++;
        float correction1 = 1f - MathF.Pow(Beta1, Steps);
        float correction2 = MathF.Sqrt(1f - MathF.Pow(Beta2, Steps));
        if (fused && Kind == OptimizerKind.Adam && parameters.Length % Vector512<float>.Count == 0 && gradients.Length == parameters.Length)
        {
            if (wide ?? Vector512.IsHardwareAccelerated) AdamFused<Lanes512, Vector512<float>>(parameters, gradients, correction1, correction2);
            else AdamFused<Lanes256, Vector256<float>>(parameters, gradients, correction1, correction2);
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
    /// bit (a test compares them at both widths): TensorPrimitives.Lerp(x, y, a) computes fma(x, 1 - a, y a) where the
    /// CPU has FMA, then come the square root, the divisions and a separate multiply and add. One loop serves 512-bit
    /// vectors and, on CPUs without them (AMD before Zen 4, for one), 256-bit ones: there the eight passes had taken ~14%
    /// of an RL Zoo update on a Zen 2.
    /// </summary>
    private void AdamFused<TLanes, TVector>(Span<float> parameters, ReadOnlySpan<float> gradients, float correction1, float correction2)
        where TLanes : struct, ILanes<TVector>
    {
        ref float p = ref MemoryMarshal.GetReference(parameters);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        ref float m = ref MemoryMarshal.GetArrayDataReference(_first);
        ref float v = ref MemoryMarshal.GetArrayDataReference(_second);
        var beta1 = TLanes.Create(Beta1);
        var beta2 = TLanes.Create(Beta2);
        var keep1 = TLanes.Create(1f - Beta1);
        var keep2 = TLanes.Create(1f - Beta2);
        var scale2 = TLanes.Create(correction2);
        var epsilon = TLanes.Create(Epsilon);
        var step = TLanes.Create(-LearningRate / correction1);
        for (nuint i = 0; i < (nuint)parameters.Length; i += (nuint)TLanes.Count)
        {
            var gradient = TLanes.Load(ref g, i);
            var first = TLanes.FusedMultiplyAdd(gradient, keep1, TLanes.Multiply(TLanes.Load(ref m, i), beta1));
            var second = TLanes.FusedMultiplyAdd(TLanes.Multiply(gradient, gradient), keep2, TLanes.Multiply(TLanes.Load(ref v, i), beta2));
            TLanes.Store(first, ref m, i);
            TLanes.Store(second, ref v, i);
            var update = TLanes.Divide(first, TLanes.Add(TLanes.Divide(TLanes.Sqrt(second), scale2), epsilon));
            TLanes.Store(TLanes.Add(TLanes.Multiply(update, step), TLanes.Load(ref p, i)), ref p, i);
        }
    }

    /// <summary>The vector operations of one width, so one loop serves both (the JIT compiles it per width).</summary>
    private interface ILanes<TVector>
    {
        static abstract int Count { get; }
        static abstract TVector Create(float value);
        static abstract TVector Load(ref float source, nuint index);
        static abstract void Store(TVector value, ref float destination, nuint index);
        static abstract TVector Add(TVector x, TVector y);
        static abstract TVector Multiply(TVector x, TVector y);
        static abstract TVector Divide(TVector x, TVector y);
        static abstract TVector Sqrt(TVector x);
        static abstract TVector FusedMultiplyAdd(TVector x, TVector y, TVector z);
    }

    private readonly struct Lanes256 : ILanes<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Create(float value) => Vector256.Create(value);
        public static Vector256<float> Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);
        public static void Store(Vector256<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
        public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
        public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
        public static Vector256<float> Divide(Vector256<float> x, Vector256<float> y) => x / y;
        public static Vector256<float> Sqrt(Vector256<float> x) => Vector256.Sqrt(x);
        public static Vector256<float> FusedMultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> z) => Vector256.FusedMultiplyAdd(x, y, z);
    }

    private readonly struct Lanes512 : ILanes<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Create(float value) => Vector512.Create(value);
        public static Vector512<float> Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);
        public static void Store(Vector512<float> value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);
        public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
        public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
        public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;
        public static Vector512<float> Sqrt(Vector512<float> x) => Vector512.Sqrt(x);
        public static Vector512<float> FusedMultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> z) => Vector512.FusedMultiplyAdd(x, y, z);
    }

    /// <summary>Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/> (PyTorch's clip_grad_norm_); returns the norm before clipping.</summary>
    public static float ClipNorm(Span<float> gradients, float maxNorm)
    {
        float norm = TensorPrimitives.Norm(gradients);
        if (norm > maxNorm) TensorPrimitives.Multiply(gradients, maxNorm / (norm + 1e-6f), gradients);
        return norm;
    }
}
