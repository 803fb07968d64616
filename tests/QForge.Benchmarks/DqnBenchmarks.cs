using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using QForge.Dqn;
using System.Runtime.Intrinsics;
using QForge.Neural;

namespace QForge.Benchmarks;

/// <summary>
/// One DQN gradient step (target forward, online forward, backward, Adam) for the two CartPole configurations of the
/// issue: CleanRL's 4-120-84-2 at batch 128 and RL Zoo's 4-256-256-2 at batch 64. The GFLOP/s column counts
/// 2 FLOPs per multiply-add of the three passes (forward twice, backward's two products). <see cref="Kernels"/> compares
/// the engine's 512-bit paths (the matrix multiply's 8 x 32 tiles and Adam in one pass, used by default where the CPU
/// accelerates 512-bit vectors) with its 256-bit ones, or, on a CPU without 512-bit vectors, Adam's two 256-bit forms.
/// </summary>
[Config(typeof(Config))]
public class DqnBenchmarks
{
    private Mlp _online = null!;
    private Mlp _target = null!;
    private Optimizer _optimizer = null!;
    private float[] _observations = null!;
    private int _batch;

    [Params("CleanRL 120-84 x128", "Zoo 256-256 x64")]
    public string Network { get; set; } = "";

    [ParamsSource(nameof(KernelChoices))]
    public string Kernels { get; set; } = "";

    /// <summary>
    /// The engine's paths to compare on this CPU: with 512-bit vectors, its 256-bit paths against its 512-bit ones; without
    /// them, the 256-bit paths as they were (4-row tiles, Adam as a pass per operation) against 6-row tiles and Adam in
    /// one pass.
    /// </summary>
    public static IEnumerable<string> KernelChoices => Vector512.IsHardwareAccelerated ? ["256-bit", "512-bit"] : ["4-row tiles, Adam per op", "6-row tiles, Adam fused"];

    /// <summary>Makes the engine use the paths named by <paramref name="kernels"/> (one of <see cref="KernelChoices"/>).</summary>
    public static void Use(string kernels)
    {
        Gemm.Wide = kernels == "512-bit";
        Gemm.SixRowTiles = kernels != "4-row tiles, Adam per op";
        Optimizer.Fused = kernels is "512-bit" or "6-row tiles, Adam fused";
    }

    [GlobalSetup]
    public void Setup()
    {
        Use(Kernels);
        var (hidden, batch) = Shape(Network);
        _batch = batch;
        var rng = new Rng(1);
        _online = new Mlp(4, hidden, 2, batch, ref rng);
        _target = new Mlp(4, hidden, 2, batch, ref rng);
        _optimizer = new Optimizer(OptimizerKind.Adam, 1e-3f, _online.PaddedParameterCount);
        _observations = new float[batch * 4];
        for (int i = 0; i < _observations.Length; i++) _observations[i] = (float)rng.NextDouble(-1, 1);
    }

    [Benchmark]
    public float GradientStep()
    {
        var next = _target.Forward(_observations, _batch);
        float target = next[0];
        var q = _online.Forward(_observations, _batch);
        var gradient = _online.OutputGradient(_batch);
        gradient.Clear();
        for (int b = 0; b < _batch; b++) gradient[b * _online.OutputStride] = 2f * (q[b * _online.OutputStride] - target) / _batch;
        _online.Backward(_batch);
        _online.ApplyGradients(_optimizer);
        return q[0];
    }

    /// <summary>Multiply-adds of one gradient step: two forward passes and the backward pass's two products (the first layer's input gradient is skipped).</summary>
    public static long MultiplyAdds(string network)
    {
        var (hidden, batch) = Shape(network);
        int[] sizes = [4, .. hidden, 2];
        long forward = 0, backwardInputs = 0;
        for (int l = 1; l < sizes.Length; l++)
        {
            forward += (long)sizes[l - 1] * sizes[l];
            if (l > 1) backwardInputs += (long)sizes[l - 1] * sizes[l];
        }
        return batch * (3 * forward + backwardInputs);
    }

    private static (int[] Hidden, int Batch) Shape(string network) => network.StartsWith("Zoo") ? ([256, 256], 64) : ([120, 84], 128);

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new RateColumn("GFLOP/s", "Achieved single-precision GFLOP/s (2 per multiply-add), from the median",
            c => 2.0 * MultiplyAdds((string)c.Parameters["Network"]), 1e9));
    }
}

/// <summary>
/// Whole DQN updates as the trainer runs them on CartPole (sampling the minibatch, the target network's pass on the
/// side thread beside the online network's, backward, Adam): 2,000 environment steps after the replay buffer holds
/// 1,000, training on every step. Per update = the median / 2,000 (env steps are ~1% of it).
/// </summary>
public class DqnTrainerBenchmarks
{
    private DqnTrainer<QForge.Experiments.CartPole.CartPole> _trainer = null!;

    [Params("CleanRL 120-84 x128", "Zoo 256-256 x64")]
    public string Network { get; set; } = "";

    [ParamsSource(nameof(KernelChoices))]
    public string Kernels { get; set; } = "";

    /// <inheritdoc cref="DqnBenchmarks.KernelChoices"/>
    public static IEnumerable<string> KernelChoices => DqnBenchmarks.KernelChoices;

    [IterationSetup]
    public void Setup()
    {
        DqnBenchmarks.Use(Kernels);
        DqnSettings settings = Network.StartsWith("Zoo")
            ? new QForge.Experiments.CartPole.ZooCartPole { LearningStarts = 1_000, TrainFrequency = 1, GradientSteps = 1, TotalSteps = 1_000_000 }
            : new QForge.Experiments.CartPole.CleanRLCartPole { LearningStarts = 1_000, TrainFrequency = 1, TotalSteps = 1_000_000 };
        _trainer = new DqnTrainer<QForge.Experiments.CartPole.CartPole>(settings);
        _trainer.Train(steps: 1_000);
    }

    [Benchmark(OperationsPerInvoke = 2_000)]
    public long TwoThousandUpdates() => _trainer.Train(steps: 2_000).Steps;
}

/// <summary>
/// The three products of the RL Zoo network's 256 x 256 layer at batch 64, each 4.2 M multiply-adds: the forward pass
/// (activations times weights), the weight gradient (activations transposed times deltas) and the input gradient
/// (deltas times the transposed weights). The GFLOP/s column is against a core's peak: about 223 GFLOP/s with 512-bit
/// FMAs (112 with 256-bit) on a Zen 5, 72 (two 256-bit FMAs per cycle at 2.25 GHz) on a Zen 2.
/// </summary>
[Config(typeof(Config))]
public class GemmBenchmarks
{
    private const int Batch = 64, Width = 256;
    private readonly float[] _activations = Filled(Batch * Width, 1);
    private readonly float[] _weights = Filled(Width * Width, 2);
    private readonly float[] _output = new float[Width * Width];

    [Params("forward", "weight gradient", "input gradient")]
    public string Product { get; set; } = "";

    /// <summary>With 512-bit vectors, the 256-bit kernels against the 512-bit ones; without, the 4-row 256-bit tiles against the 6-row ones.</summary>
    [ParamsSource(nameof(KernelChoices))]
    public string Kernels { get; set; } = "";

    public static IEnumerable<string> KernelChoices => Vector512.IsHardwareAccelerated ? ["256-bit", "512-bit"] : ["256-bit, 4-row tiles", "256-bit, 6-row tiles"];

    [GlobalSetup]
    public void Setup()
    {
        Gemm.Wide = Kernels == "512-bit";
        Gemm.SixRowTiles = Kernels != "256-bit, 4-row tiles";
    }

    [Benchmark]
    public float Multiply()
    {
        switch (Product)
        {
            case "forward": Gemm.Multiply(_activations, Width, 1, _weights, _output, Batch, Width, Width, accumulate: false); break;
            case "weight gradient": Gemm.Multiply(_activations, 1, Width, _weights.AsSpan(0, Batch * Width), _output, Width, Batch, Width, accumulate: false); break;
            default: Gemm.Multiply(_activations, Width, 1, _weights, _output, Batch, Width, Width, accumulate: true); break;
        }
        return _output[0];
    }

    private static float[] Filled(int length, ulong seed)
    {
        var rng = new Rng(seed);
        var values = new float[length];
        for (int i = 0; i < values.Length; i++) values[i] = (float)rng.NextDouble(-1, 1);
        return values;
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new RateColumn("GFLOP/s", "Achieved single-precision GFLOP/s (2 per multiply-add), from the median", _ => 2.0 * Batch * Width * Width, 1e9));
    }
}

/// <summary>
/// The core's FMA throughput, the peak the GFLOP/s columns compare with: twelve independent chains of 256-bit or 512-bit
/// fused multiply-adds, enough to cover the FMA latency on two pipes. 2 FLOPs per lane per FMA.
/// </summary>
[Config(typeof(Config))]
public class FmaPeakBenchmarks
{
    private const int Iterations = 1_000_000;

    [ParamsSource(nameof(Widths))]
    public int Bits { get; set; }

    public static IEnumerable<int> Widths => Vector512.IsHardwareAccelerated ? [256, 512] : [256];

    [Benchmark]
    public float Chains() => Bits == 512 ? Chains<Lanes512, Vector512<float>>() : Chains<Lanes256, Vector256<float>>();

    private static float Chains<TLanes, TVector>() where TLanes : ILanes<TVector>
    {
        var a = TLanes.Create(1.0000001f);
        var b = TLanes.Create(0.9999999f);
        TVector x0 = a, x1 = a, x2 = a, x3 = a, x4 = a, x5 = a, x6 = a, x7 = a, x8 = a, x9 = a, x10 = a, x11 = a;
        for (int i = 0; i < Iterations; i++)
        {
            x0 = TLanes.Fma(x0, b, a); x1 = TLanes.Fma(x1, b, a); x2 = TLanes.Fma(x2, b, a); x3 = TLanes.Fma(x3, b, a);
            x4 = TLanes.Fma(x4, b, a); x5 = TLanes.Fma(x5, b, a); x6 = TLanes.Fma(x6, b, a); x7 = TLanes.Fma(x7, b, a);
            x8 = TLanes.Fma(x8, b, a); x9 = TLanes.Fma(x9, b, a); x10 = TLanes.Fma(x10, b, a); x11 = TLanes.Fma(x11, b, a);
        }
        return TLanes.First(x0) + TLanes.First(x1) + TLanes.First(x2) + TLanes.First(x3) + TLanes.First(x4) + TLanes.First(x5)
            + TLanes.First(x6) + TLanes.First(x7) + TLanes.First(x8) + TLanes.First(x9) + TLanes.First(x10) + TLanes.First(x11);
    }

    /// <summary>One vector width's operations, so a single loop serves both widths (the JIT compiles it per width).</summary>
    private interface ILanes<TVector>
    {
        static abstract TVector Create(float value);
        static abstract TVector Fma(TVector x, TVector y, TVector z);
        static abstract float First(TVector x);
    }

    private readonly struct Lanes256 : ILanes<Vector256<float>>
    {
        public static Vector256<float> Create(float value) => Vector256.Create(value);
        public static Vector256<float> Fma(Vector256<float> x, Vector256<float> y, Vector256<float> z) => Vector256.FusedMultiplyAdd(x, y, z);
        public static float First(Vector256<float> x) => x.GetElement(0);
    }

    private readonly struct Lanes512 : ILanes<Vector512<float>>
    {
        public static Vector512<float> Create(float value) => Vector512.Create(value);
        public static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> z) => Vector512.FusedMultiplyAdd(x, y, z);
        public static float First(Vector512<float> x) => x.GetElement(0);
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new RateColumn("GFLOP/s", "FMA throughput (2 FLOPs per lane per FMA), from the median",
            c => 2.0 * 12 * Iterations * ((int)c.Parameters["Bits"] / 32), 1e9));
    }
}
