using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        Steps++;
        Span<float> scratch = _scratch.AsSpan(0, parameters.Length);
        switch (Kind)
        {
            case OptimizerKind.Sgd:
                TensorPrimitives.MultiplyAdd(gradients, -LearningRate, parameters, parameters);
                break;
            case OptimizerKind.RmsProp:
                // v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)
                TensorPrimitives.Multiply(gradients, gradients, scratch);
                TensorPrimitives.Lerp(scratch, _second, Alpha, _second);
                TensorPrimitives.Sqrt(_second, scratch);
                TensorPrimitives.Add(scratch, Epsilon, scratch);
                TensorPrimitives.Divide(gradients, scratch, scratch);
                TensorPrimitives.MultiplyAdd(scratch, -LearningRate, parameters, parameters);
                break;
            default:
                AdamStep(parameters, gradients);
                break;
        }
    }

    /// <summary>
    /// PyTorch's Adam in one fused pass: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    /// p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    /// </summary>
    private void AdamStep(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        float correction1 = 1f - MathF.Pow(Beta1, Steps);
        float inverseCorrection2 = 1f / MathF.Sqrt(1f - MathF.Pow(Beta2, Steps));
        float step = -LearningRate / correction1;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var b1 = Vector256.Create(Beta1);
            var b2 = Vector256.Create(Beta2);
            var oneMinusB1 = Vector256.Create(1f - Beta1);
            var oneMinusB2 = Vector256.Create(1f - Beta2);
            var correction = Vector256.Create(inverseCorrection2);
            var epsilon = Vector256.Create(Epsilon);
            var stepSize = Vector256.Create(step);
            ref float p = ref MemoryMarshal.GetReference(parameters);
            ref float g = ref MemoryMarshal.GetReference(gradients);
            ref float m = ref MemoryMarshal.GetArrayDataReference(_first);
            ref float v = ref MemoryMarshal.GetArrayDataReference(_second);
            for (; i + 8 <= parameters.Length; i += 8)
            {
                var grad = Vector256.LoadUnsafe(ref g, (nuint)i);
                var first = b1 * Vector256.LoadUnsafe(ref m, (nuint)i) + oneMinusB1 * grad;
                var second = b2 * Vector256.LoadUnsafe(ref v, (nuint)i) + oneMinusB2 * grad * grad;
                first.StoreUnsafe(ref m, (nuint)i);
                second.StoreUnsafe(ref v, (nuint)i);
                var update = first / (Vector256.Sqrt(second) * correction + epsilon);
                (Vector256.LoadUnsafe(ref p, (nuint)i) + stepSize * update).StoreUnsafe(ref p, (nuint)i);
            }
        }
        for (; i < parameters.Length; i++)
        {
            _first[i] = Beta1 * _first[i] + (1f - Beta1) * gradients[i];
            _second[i] = Beta2 * _second[i] + (1f - Beta2) * gradients[i] * gradients[i];
            parameters[i] += step * (_first[i] / (MathF.Sqrt(_second[i]) * inverseCorrection2 + Epsilon));
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
