using QForge.Neural;

namespace QForge.Tests.Neural;

public class MlpTests
{
    [Theory]
    [InlineData(1, 3, 16, false, false)]
    [InlineData(4, 7, 32, false, false)]
    [InlineData(9, 20, 48, false, true)]
    [InlineData(6, 5, 16, true, false)]
    [InlineData(13, 33, 64, true, true)]
    [InlineData(16, 9, 48, false, false)]
    [InlineData(84, 64, 96, true, false)]
    [InlineData(64, 120, 16, false, true)]
    public void Gemm_matches_a_naive_product(int m, int k, int n, bool transposeA, bool accumulate)
    {
        var rng = new Rng(1);
        float[] a = Random(ref rng, m * k), b = Random(ref rng, k * n), c = Random(ref rng, m * n);
        float[] expected = (float[])c.Clone();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? expected[i * n + j] : 0;
                for (int x = 0; x < k; x++)
                    sum += (transposeA ? a[x * m + i] : a[i * k + x]) * (double)b[x * n + j];
                expected[i * n + j] = (float)sum;
            }
        if (transposeA) Gemm.Multiply(a, 1, m, b, c, m, k, n, accumulate);
        else Gemm.Multiply(a, k, 1, b, c, m, k, n, accumulate);
        for (int i = 0; i < c.Length; i++)
            Assert.True(Math.Abs(expected[i] - c[i]) <= 1e-5 * k * (1 + Math.Abs(expected[i])), $"C[{i}] = {c[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData(8, 4, 32, false, false)]
    [InlineData(21, 17, 80, false, true)]
    [InlineData(84, 64, 96, true, false)]
    [InlineData(256, 64, 256, true, true)]
    [InlineData(64, 256, 16, false, false)]
    public void Gemm_gives_the_same_bits_with_and_without_the_512_bit_kernels(int m, int k, int n, bool transposeA, bool accumulate)
    {
        var rng = new Rng(3);
        float[] a = Random(ref rng, m * k), b = Random(ref rng, k * n), narrow = Random(ref rng, m * n);
        float[] wide = (float[])narrow.Clone();
        int rowStride = transposeA ? 1 : k, columnStride = transposeA ? m : 1;
        Gemm.Multiply(a, rowStride, columnStride, b, narrow, m, k, n, accumulate, wide: false);
        Gemm.Multiply(a, rowStride, columnStride, b, wide, m, k, n, accumulate, wide: true);
        Assert.Equal(narrow, wide);
        Assert.Contains(wide, v => v != 0);
    }

    [Theory]
    [InlineData(6, 4, 16, false, false)]
    [InlineData(64, 256, 256, false, false)]  // the RL Zoo network's forward product: ten 6-row tiles and a 4-row one
    [InlineData(256, 64, 256, true, true)]    // its weight gradient
    [InlineData(17, 9, 48, true, false)]      // two 6-row tiles, a 4-row one and a single row
    public void Gemm_gives_the_same_bits_with_six_and_four_row_tiles(int m, int k, int n, bool transposeA, bool accumulate)
    {
        var rng = new Rng(4);
        float[] a = Random(ref rng, m * k), b = Random(ref rng, k * n), four = Random(ref rng, m * n);
        float[] six = (float[])four.Clone();
        int rowStride = transposeA ? 1 : k, columnStride = transposeA ? m : 1;
        Gemm.Multiply(a, rowStride, columnStride, b, four, m, k, n, accumulate, wide: false, sixRowTiles: false);
        Gemm.Multiply(a, rowStride, columnStride, b, six, m, k, n, accumulate, wide: false, sixRowTiles: true);
        Assert.Equal(four, six);
        Assert.Contains(six, v => v != 0);
    }

    [Theory]
    [InlineData(Activation.Tanh, 2e-3)]
    [InlineData(Activation.ReLU, 1e-2)]
    public void Backpropagation_matches_finite_differences(Activation activation, double tolerance)
    {
        var rng = new Rng(7);
        var net = new Mlp(3, [5, 4], 2, 8, ref rng, activation);
        const int batch = 3;
        float[] input = Random(ref rng, batch * 3);
        float[] weights = Random(ref rng, batch * net.OutputStride);
        double Loss()
        {
            var q = net.Forward(input, batch);
            double sum = 0;
            for (int i = 0; i < batch; i++)
                for (int o = 0; o < 2; o++) sum += weights[i * net.OutputStride + o] * (double)q[i * net.OutputStride + o];
            return sum;
        }
        Loss();
        var gradient = net.OutputGradient(batch);
        gradient.Clear();
        for (int i = 0; i < batch; i++)
            for (int o = 0; o < 2; o++) gradient[i * net.OutputStride + o] = weights[i * net.OutputStride + o];
        net.Backward(batch);
        float[] analytic = net.Gradients.ToArray();

        int checkedCount = 0;
        for (int p = 0; p < analytic.Length; p++)
        {
            float saved = net.Parameters[p];
            if (saved == 0f && analytic[p] == 0f) continue; // padding
            float h = activation == Activation.ReLU ? 1e-3f : 1e-2f; // small enough not to cross a ReLU kink
            net.Parameters[p] = saved + h;
            net.SyncTransposed();
            double up = Loss();
            net.Parameters[p] = saved - h;
            net.SyncTransposed();
            double down = Loss();
            net.Parameters[p] = saved;
            net.SyncTransposed();
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[p]) <= tolerance * Math.Max(1, Math.Abs(numeric)), $"parameter {p}: numeric {numeric}, analytic {analytic[p]}");
            checkedCount++;
        }
        Assert.Equal(net.ParameterCount, checkedCount);
    }

    [Fact]
    public void Initialisation_follows_pytorch_bounds_and_padding_stays_zero()
    {
        var rng = new Rng(3);
        var net = new Mlp(4, [120, 84], 2, 16, ref rng);
        var tensors = net.ToTensors();
        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias"], tensors.Select(t => t.Name));
        Assert.Equal([120, 4], tensors[0].Shape);
        Assert.All(tensors[0].ToFloat32(), w => Assert.InRange(w, -0.5f, 0.5f));
        Assert.All(tensors[2].ToFloat32(), w => Assert.InRange(w, -1 / MathF.Sqrt(120), 1 / MathF.Sqrt(120)));
        Assert.Equal(4 * 120 + 120 + 120 * 84 + 84 + 84 * 2 + 2, net.ParameterCount);
        Assert.Equal(net.ParameterCount, net.Parameters.ToArray().Count(p => p != 0f));
    }

    [Fact]
    public void Weights_round_trip_through_safetensors_layout()
    {
        var rng = new Rng(4);
        var a = new Mlp(4, [20], 3, 4, ref rng);
        var b = new Mlp(4, [20], 3, 4, ref rng);
        float[] input = Random(ref rng, 4);
        Assert.NotEqual(a.Forward(input, 1).ToArray(), b.Forward(input, 1).ToArray());
        b.LoadTensors(a.ToTensors(), "test");
        Assert.Equal(a.Forward(input, 1).ToArray(), b.Forward(input, 1).ToArray());
        var wrong = new Mlp(4, [21], 3, 4, ref rng);
        Assert.Contains("F32 [21, 4]", Assert.Throws<InvalidDataException>(() => wrong.LoadTensors(a.ToTensors(), "file")).Message);
    }

    [Fact]
    public void Target_updates_copy_and_blend()
    {
        var rng = new Rng(5);
        var online = new Mlp(2, [16], 2, 2, ref rng);
        var target = new Mlp(2, [16], 2, 2, ref rng);
        float before = target.Parameters[0], source = online.Parameters[0];
        target.SoftUpdateFrom(online, 0.25f);
        Assert.Equal(0.25f * source + 0.75f * before, target.Parameters[0], 6);
        target.CopyFrom(online);
        Assert.Equal(online.Parameters.ToArray(), target.Parameters.ToArray());
    }

    [Fact]
    public void Optimisers_follow_pytorch()
    {
        float[] parameters = [1f, -2f];
        float[] gradients = [0.5f, -4f];
        new Optimizer(OptimizerKind.Sgd, 0.1f, 2).Step(parameters, gradients);
        Assert.Equal([0.95f, -1.6f], parameters);

        parameters = [1f, -2f];
        new Optimizer(OptimizerKind.Adam, 0.1f, 2).Step(parameters, gradients);
        // The first Adam step moves each parameter by about lr against the sign of its gradient.
        Assert.Equal(0.9f, parameters[0], 4);
        Assert.Equal(-1.9f, parameters[1], 4);

        float[] clipped = [3f, 4f];
        Assert.Equal(5f, Optimizer.ClipNorm(clipped, 1f));
        Assert.Equal(0.6f, clipped[0], 4);
        Assert.Equal(0.8f, clipped[1], 4);
    }

    [Theory]
    [InlineData(false)] // 256-bit vectors
    [InlineData(true)]  // 512-bit vectors (in software where the CPU has none: the same operations, lane by lane)
    public void Adam_in_one_pass_gives_the_same_bits_as_a_pass_per_operation(bool wide)
    {
        var rng = new Rng(11);
        const int count = 3 * 1024 + 48; // more than one chunk, and a partial one
        float[] onePass = Random(ref rng, count), perOperation = (float[])onePass.Clone();
        var fused = new Optimizer(OptimizerKind.Adam, 2.3e-3f, count);
        var reference = new Optimizer(OptimizerKind.Adam, 2.3e-3f, count);
        for (int step = 0; step < 50; step++)
        {
            float[] gradients = Random(ref rng, count);
            gradients[step] = step % 2 == 0 ? 1e-30f : 0f; // tiny and zero gradients: the epsilon dominates
            gradients[count - 1 - step] *= 1e6f;
            fused.Step(onePass, gradients, fused: true, wide);
            reference.Step(perOperation, gradients, fused: false);
            Assert.Equal(perOperation, onePass);
        }
        Assert.Equal(reference.FirstMoments, fused.FirstMoments);
        Assert.Equal(reference.SecondMoments, fused.SecondMoments);
    }

    [Fact]
    public void Transposed_weight_copies_follow_the_weights_after_an_update()
    {
        var rng = new Rng(5);
        var net = new Mlp(4, [48, 40], 3, 8, ref rng);
        var optimizer = new Optimizer(OptimizerKind.Adam, 1e-2f, net.PaddedParameterCount);
        float[] input = Random(ref rng, 8 * 4);
        net.Forward(input, 8);
        Random(ref rng, 8 * net.OutputStride).CopyTo(net.OutputGradient(8));
        net.Backward(8);
        net.ApplyGradients(optimizer);
        for (int l = 2; l < net.Sizes.Count; l++)
        {
            var (weights, transposed, inWidth, width) = net.WeightsAndTransposed(l);
            for (int i = 0; i < inWidth; i++)
                for (int o = 0; o < width; o++)
                    Assert.Equal(weights[i * width + o], transposed[o * inWidth + i]);
        }
    }

    private static float[] Random(ref Rng rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)rng.NextDouble(-1, 1);
        return values;
    }
}
