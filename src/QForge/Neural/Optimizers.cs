using System.Numerics.Tensors;

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
                // PyTorch's Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
                // p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
                TensorPrimitives.Lerp(gradients, _first, Beta1, _first);
                TensorPrimitives.Multiply(gradients, gradients, scratch);
                TensorPrimitives.Lerp(scratch, _second, Beta2, _second);
                float correction1 = 1f - MathF.Pow(Beta1, Steps);
                float correction2 = MathF.Sqrt(1f - MathF.Pow(Beta2, Steps));
                TensorPrimitives.Sqrt(_second, scratch);
                TensorPrimitives.Divide(scratch, correction2, scratch);
                TensorPrimitives.Add(scratch, Epsilon, scratch);
                TensorPrimitives.Divide(_first, scratch, scratch);
                TensorPrimitives.MultiplyAdd(scratch, -LearningRate / correction1, parameters, parameters);
                break;
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
