using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QForge.Serialization;
using Tensor = QForge.Serialization.Tensor;

namespace QForge.Neural;

/// <summary>The hidden layers' nonlinearity.</summary>
public enum Activation
{
    /// <summary>max(0, x).</summary>
    ReLU,

    /// <summary>tanh(x).</summary>
    Tanh,
}

/// <summary>
/// A multilayer perceptron in float32: dense layers with ReLU or tanh between them and a linear output, forward and
/// backward passes over minibatches with no allocation after construction. Weights are initialised as PyTorch's
/// <c>nn.Linear</c> does (uniform in +-1/sqrt(fan_in) for weights and biases) and saved in PyTorch's layout.
/// </summary>
/// <remarks>
/// Layer widths are padded to multiples of 16 in memory (padding is zero and stays zero), so the matrix multiply has
/// no column tails. Each layer keeps its weights as W^T [in x out] for the forward pass and a transposed copy
/// W [out x in] for back-propagating to the layer's input.
/// </remarks>
public sealed class Mlp
{
    private readonly int[] _sizes;
    private readonly int[] _padded;
    private readonly int[] _weightOffset;
    private readonly int[] _biasOffset;
    private readonly int[] _transposedOffset;
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private readonly float[] _transposed;
    private readonly float[][] _activations;
    private readonly float[][] _deltas;

    /// <summary>Creates a network <paramref name="inputs"/> -> <paramref name="hidden"/>... -> <paramref name="outputs"/> for batches of up to <paramref name="maxBatch"/>.</summary>
    public Mlp(int inputs, IReadOnlyList<int> hidden, int outputs, int maxBatch, ref Rng rng, Activation activation = Activation.ReLU)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (hidden.Any(h => h <= 0)) throw new ArgumentOutOfRangeException(nameof(hidden), "Every hidden layer needs at least one unit.");
        _sizes = [inputs, .. hidden, outputs];
        _padded = _sizes.Select(s => (s + Gemm.Block - 1) / Gemm.Block * Gemm.Block).ToArray();
        Activation = activation;
        MaxBatch = maxBatch;
        int layers = _sizes.Length - 1;
        _weightOffset = new int[layers + 1];
        _biasOffset = new int[layers + 1];
        _transposedOffset = new int[layers + 1];
        int offset = 0, transposed = 0;
        for (int l = 1; l <= layers; l++)
        {
            _weightOffset[l] = offset;
            offset += _padded[l - 1] * _padded[l];
            _biasOffset[l] = offset;
            offset += _padded[l];
            _transposedOffset[l] = transposed;
            transposed += _padded[l] * _padded[l - 1];
        }
        _parameters = new float[offset];
        _gradients = new float[offset];
        _transposed = new float[transposed];
        _activations = _padded.Select(p => new float[maxBatch * p]).ToArray();
        _deltas = _padded.Select(p => new float[maxBatch * p]).ToArray();
        for (int l = 1; l <= layers; l++)
        {
            float bound = 1f / MathF.Sqrt(_sizes[l - 1]);
            for (int i = 0; i < _sizes[l - 1]; i++)
                for (int o = 0; o < _sizes[l]; o++)
                    _parameters[_weightOffset[l] + i * _padded[l] + o] = (float)rng.NextDouble(-bound, bound);
            for (int o = 0; o < _sizes[l]; o++)
                _parameters[_biasOffset[l] + o] = (float)rng.NextDouble(-bound, bound);
        }
        SyncTransposed();
    }

    /// <summary>The layer sizes, input first.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    /// <summary>The hidden layers' nonlinearity.</summary>
    public Activation Activation { get; }

    /// <summary>The largest batch the buffers hold.</summary>
    public int MaxBatch { get; }

    /// <summary>The number of inputs.</summary>
    public int InputCount => _sizes[0];

    /// <summary>The number of outputs.</summary>
    public int OutputCount => _sizes[^1];

    /// <summary>The row stride of <see cref="Forward"/>'s result (the padded output width).</summary>
    public int OutputStride => _padded[^1];

    /// <summary>The number of trainable values (without padding).</summary>
    public int ParameterCount => Enumerable.Range(1, _sizes.Length - 1).Sum(l => _sizes[l - 1] * _sizes[l] + _sizes[l]);

    /// <summary>Multiply-adds of one forward pass per sample.</summary>
    public long MultiplyAddsPerSample => Enumerable.Range(1, _sizes.Length - 1).Sum(l => (long)_sizes[l - 1] * _sizes[l]);

    /// <summary>All parameters, padded layout (for optimisers, copies and norms).</summary>
    internal float[] Parameters => _parameters;

    /// <summary>The gradients of the last <see cref="Backward"/>, same layout as <see cref="Parameters"/>.</summary>
    internal Span<float> Gradients => _gradients;

    /// <summary>
    /// Runs a batch of <paramref name="batch"/> samples (<paramref name="input"/> is [batch x InputCount], dense) and
    /// returns the outputs, [batch x OutputStride]. The activations are kept for <see cref="Backward"/>.
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, int batch)
    {
        if ((uint)batch - 1 >= (uint)MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batches hold 1 to {MaxBatch} samples.");
        if (input.Length < batch * InputCount) throw new ArgumentException($"The input holds {input.Length} values; {batch} samples need {batch * InputCount}.", nameof(input));
        float[] first = _activations[0];
        int inputs = InputCount, stride = _padded[0];
        for (int b = 0; b < batch; b++)
            input.Slice(b * inputs, inputs).CopyTo(first.AsSpan(b * stride, inputs));
        int last = _sizes.Length - 1;
        for (int l = 1; l <= last; l++)
        {
            int width = _padded[l];
            Span<float> output = _activations[l].AsSpan(0, batch * width);
            Gemm.Multiply(_activations[l - 1], _padded[l - 1], 1, _parameters.AsSpan(_weightOffset[l], _padded[l - 1] * width), output,
                batch, _sizes[l - 1], width, accumulate: false);
            ReadOnlySpan<float> bias = _parameters.AsSpan(_biasOffset[l], width);
            if (l == last || Activation == Activation.ReLU)
            {
                // One pass of vectors over the whole block (widths are multiples of 16): small per-row library calls
                // cost more than the arithmetic at these sizes.
                AddBias(output, bias, batch, width, relu: l != last);
                continue;
            }
            for (int b = 0; b < batch; b++)
            {
                Span<float> row = output.Slice(b * width, width);
                TensorPrimitives.Add(row, bias, row);
                TensorPrimitives.Tanh(row, row);
            }
        }
        return _activations[last].AsSpan(0, batch * _padded[last]);
    }

    /// <summary>The outputs of the last <see cref="Forward"/> of <paramref name="batch"/> samples, [batch x OutputStride].</summary>
    public ReadOnlySpan<float> Output(int batch) => _activations[^1].AsSpan(0, batch * _padded[^1]);

    /// <summary>The gradient of the loss with respect to the last outputs: [batch x OutputStride], filled by the caller before <see cref="Backward"/>.</summary>
    public Span<float> OutputGradient(int batch) => _deltas[^1].AsSpan(0, batch * _padded[^1]);

    /// <summary>Back-propagates <see cref="OutputGradient"/> through the last forward batch into the gradients (overwritten).</summary>
    public void Backward(int batch)
    {
        int last = _sizes.Length - 1;
        for (int l = last; l >= 1; l--)
        {
            int width = _padded[l], inWidth = _padded[l - 1];
            float[] delta = _deltas[l];
            // dW^T = A_{l-1}^T * delta: [in x out]
            Gemm.Multiply(_activations[l - 1], 1, inWidth, delta, _gradients.AsSpan(_weightOffset[l], inWidth * width),
                _sizes[l - 1], batch, width, accumulate: false);
            SumRows(delta, batch, width, _gradients.AsSpan(_biasOffset[l], width));
            if (l == 1) break;
            // delta_{l-1} = (delta * W) . f'(A_{l-1})
            Span<float> previous = _deltas[l - 1].AsSpan(0, batch * inWidth);
            Gemm.Multiply(delta, width, 1, _transposed.AsSpan(_transposedOffset[l], width * inWidth), previous, batch, _sizes[l], inWidth, accumulate: false);
            ReadOnlySpan<float> activations = _activations[l - 1].AsSpan(0, batch * inWidth);
            if (Activation == Activation.ReLU)
            {
                // Widths are multiples of 16, so whole vectors cover the rows: keep the gradient where the unit was active.
                ref float d = ref MemoryMarshal.GetReference(previous);
                ref float a = ref MemoryMarshal.GetReference(activations);
                for (int i = 0; i < previous.Length; i += 8)
                {
                    var active = Vector256.GreaterThan(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256<float>.Zero);
                    (Vector256.LoadUnsafe(ref d, (nuint)i) & active).StoreUnsafe(ref d, (nuint)i);
                }
            }
            else
            {
                for (int i = 0; i < previous.Length; i++)
                    previous[i] *= 1f - activations[i] * activations[i];
            }
        }
    }

    /// <summary>Adds <paramref name="bias"/> to every row of <paramref name="block"/> and, when <paramref name="relu"/>, clamps at zero.</summary>
    private static void AddBias(Span<float> block, ReadOnlySpan<float> bias, int rows, int width, bool relu)
    {
        ref float row = ref MemoryMarshal.GetReference(block);
        ref float b = ref MemoryMarshal.GetReference(bias);
        for (int r = 0; r < rows; r++, row = ref Unsafe.Add(ref row, width))
        {
            for (int j = 0; j < width; j += 8)
            {
                var value = Vector256.LoadUnsafe(ref row, (nuint)j) + Vector256.LoadUnsafe(ref b, (nuint)j);
                if (relu) value = Vector256.Max(value, Vector256<float>.Zero);
                value.StoreUnsafe(ref row, (nuint)j);
            }
        }
    }

    /// <summary>The column sums of <paramref name="block"/> [rows x width] into <paramref name="sums"/>, adding rows in order.</summary>
    private static void SumRows(ReadOnlySpan<float> block, int rows, int width, Span<float> sums)
    {
        ref float first = ref MemoryMarshal.GetReference(block);
        ref float total = ref MemoryMarshal.GetReference(sums);
        for (int j = 0; j < width; j += 8)
        {
            var sum = Vector256.LoadUnsafe(ref first, (nuint)j);
            for (int r = 1; r < rows; r++) sum += Vector256.LoadUnsafe(ref first, (nuint)(r * width + j));
            sum.StoreUnsafe(ref total, (nuint)j);
        }
    }

    /// <summary>Clips the gradients to a global norm (when <paramref name="maxGradNorm"/> is positive), then lets <paramref name="optimizer"/> update the parameters.</summary>
    public void ApplyGradients(Optimizer optimizer, float maxGradNorm = 0)
    {
        if (maxGradNorm > 0) Optimizer.ClipNorm(_gradients, maxGradNorm);
        optimizer.Step(_parameters, _gradients);
        SyncTransposed();
    }

    /// <summary>The number of values the optimiser updates (including zero padding).</summary>
    public int PaddedParameterCount => _parameters.Length;

    /// <summary>
    /// Refreshes the transposed weight copies after the parameters changed. The first layer's is never read (nothing
    /// is back-propagated into the input), so it is skipped; the others are transposed in 8 x 8 blocks of vectors so
    /// that reads and writes both stay within a few cache lines.
    /// </summary>
    internal void SyncTransposed()
    {
        for (int l = 2; l < _sizes.Length; l++)
        {
            int inWidth = _padded[l - 1], width = _padded[l];
            ref float weights = ref _parameters[_weightOffset[l]];
            ref float transposed = ref _transposed[_transposedOffset[l]];
            // Both widths are multiples of 16. Sixteen source rows at a time, so both halves of each 64-byte line written
            // come from two blocks in a row: eight rows at a time wrote a line's halves a whole row of blocks apart, and
            // rows 1 KB apart fall into a few cache sets, so the line had been evicted before its second half came.
            for (int i = 0; i < inWidth; i += 16)
                for (int o = 0; o < width; o += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref weights, i * width + o), width, ref Unsafe.Add(ref transposed, o * inWidth + i), inWidth);
                    Transpose8x8(ref Unsafe.Add(ref weights, (i + 8) * width + o), width, ref Unsafe.Add(ref transposed, o * inWidth + i + 8), inWidth);
                }
        }
    }

    /// <summary>Copies of layer <paramref name="layer"/>'s weights [in x out] and of their transpose [out x in], at the padded widths.</summary>
    internal (float[] Weights, float[] Transposed, int InWidth, int Width) WeightsAndTransposed(int layer)
    {
        int inWidth = _padded[layer - 1], width = _padded[layer];
        return (_parameters.AsSpan(_weightOffset[layer], inWidth * width).ToArray(), _transposed.AsSpan(_transposedOffset[layer], inWidth * width).ToArray(), inWidth, width);
    }

    /// <summary>Writes the transpose of the 8 x 8 block at <paramref name="source"/> (row stride <paramref name="sourceStride"/>) to <paramref name="destination"/>.</summary>
    private static void Transpose8x8(ref float source, int sourceStride, ref float destination, int destinationStride)
    {
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        var r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        var r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        var r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        var r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        var r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        var r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
        if (Avx.IsSupported)
        {
            // The classic unpack / shuffle / permute sequence.
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref destination);
            Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref destination, (nuint)destinationStride);
            Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref destination, (nuint)(2 * destinationStride));
            Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref destination, (nuint)(3 * destinationStride));
            Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref destination, (nuint)(4 * destinationStride));
            Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref destination, (nuint)(5 * destinationStride));
            Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref destination, (nuint)(6 * destinationStride));
            Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref destination, (nuint)(7 * destinationStride));
            return;
        }
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++)
                Unsafe.Add(ref destination, c * destinationStride + r) = Unsafe.Add(ref source, r * sourceStride + c);
    }

    /// <summary>Copies every parameter of <paramref name="source"/> (a network of the same shape): the hard target update.</summary>
    public void CopyFrom(Mlp source)
    {
        CheckShape(source);
        source._parameters.CopyTo(_parameters, 0);
        source._transposed.CopyTo(_transposed, 0);
    }

    /// <summary>Polyak update: theta = tau * source + (1 - tau) * theta.</summary>
    public void SoftUpdateFrom(Mlp source, float tau)
    {
        CheckShape(source);
        TensorPrimitives.Lerp(_parameters, source._parameters, tau, _parameters);
        SyncTransposed();
    }

    /// <summary>The tensors in PyTorch's <c>nn.Sequential</c> of <c>nn.Linear</c> layout: <c>layers.{i}.weight</c> [out, in] and <c>layers.{i}.bias</c> [out].</summary>
    public IReadOnlyList<Tensor> ToTensors()
    {
        var tensors = new List<Tensor>();
        for (int l = 1; l < _sizes.Length; l++)
        {
            int inputs = _sizes[l - 1], outputs = _sizes[l];
            var weight = new float[outputs * inputs];
            for (int o = 0; o < outputs; o++)
                for (int i = 0; i < inputs; i++)
                    weight[o * inputs + i] = _parameters[_weightOffset[l] + i * _padded[l] + o];
            tensors.Add(Tensor.Float32($"layers.{l - 1}.weight", [outputs, inputs], weight));
            tensors.Add(Tensor.Float32($"layers.{l - 1}.bias", [outputs], _parameters.AsSpan(_biasOffset[l], outputs)));
        }
        return tensors;
    }

    /// <summary>Loads tensors written by <see cref="ToTensors"/>.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing or has another shape than this network's.</exception>
    public void LoadTensors(IReadOnlyList<Tensor> tensors, string source)
    {
        for (int l = 1; l < _sizes.Length; l++)
        {
            int inputs = _sizes[l - 1], outputs = _sizes[l];
            float[] weight = Find(tensors, $"layers.{l - 1}.weight", [outputs, inputs], source);
            float[] bias = Find(tensors, $"layers.{l - 1}.bias", [outputs], source);
            for (int o = 0; o < outputs; o++)
                for (int i = 0; i < inputs; i++)
                    _parameters[_weightOffset[l] + i * _padded[l] + o] = weight[o * inputs + i];
            bias.CopyTo(_parameters.AsSpan(_biasOffset[l], outputs));
        }
        SyncTransposed();
    }

    private static float[] Find(IReadOnlyList<Tensor> tensors, string name, int[] shape, string source)
    {
        var tensor = tensors.FirstOrDefault(t => t.Name == name) ?? throw new InvalidDataException($"'{source}' has no tensor '{name}'.");
        if (tensor.Type != TensorType.F32 || !tensor.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"'{source}': tensor '{name}' is {tensor.Type} [{string.Join(", ", tensor.Shape)}]; this network needs F32 [{string.Join(", ", shape)}].");
        float[] values = tensor.ToFloat32();
        if (!values.All(float.IsFinite)) throw new InvalidDataException($"'{source}': tensor '{name}' holds non-finite values.");
        return values;
    }

    private void CheckShape(Mlp other)
    {
        if (!_sizes.SequenceEqual(other._sizes))
            throw new ArgumentException($"Networks of shapes [{string.Join(", ", _sizes)}] and [{string.Join(", ", other._sizes)}] differ.");
    }
}
