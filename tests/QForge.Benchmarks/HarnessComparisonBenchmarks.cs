using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using QForge.Experiments.Taxi;
using QForge.Tabular;

namespace QForge.Benchmarks;

/// <summary>
/// The generated harness (QLearningTrainer over the generated Taxi glue) against a loop hand-written for Taxi, and
/// against a loop that reaches the environment through interfaces with boxed observations and actions, as a
/// reflection- or interface-based framework would. All three train 4000 episodes of Taxi online with the same
/// schedule; each is compared by environment steps per second.
/// </summary>
[Config(typeof(Config))]
public class HarnessComparisonBenchmarks
{
    private const int Episodes = 4_000;

    private static readonly QLearningSettings Settings = new() { Episodes = Episodes, EpsilonDecayEpisodes = Episodes / 2, Seed = 1 };

    [Benchmark(Baseline = true)]
    public long Generated() => new QLearningTrainer<Taxi>(Settings).Train().Steps;

    [Benchmark]
    public long HandWritten() => HandWrittenTaxi.Train(Settings);

    [Benchmark]
    public long InterfacesAndBoxing() => BoxedTrainer.Train(new BoxedTaxi(), Settings);

    private static long Steps(string method) => method switch
    {
        nameof(Generated) => new HarnessComparisonBenchmarks().Generated(),
        nameof(HandWritten) => HandWrittenTaxi.Train(Settings),
        _ => BoxedTrainer.Train(new BoxedTaxi(), Settings),
    };

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(RateColumn.StepsPerSecond(c => Steps(c.Descriptor.WorkloadMethod.Name)));
    }
}

/// <summary>
/// What an expert would write for Taxi alone: the precomputed transition table, a 500 x 6 float table, a scalar
/// arg-max with random ties, and the same epsilon-greedy draw and update as the library.
/// </summary>
public static class HandWrittenTaxi
{
    public static long Train(QLearningSettings settings)
    {
        var q = new float[500 * 6];
        var rng = new Rng((ulong)settings.Seed);
        var schedule = settings.Exploration;
        float alpha = (float)settings.LearningRate, gamma = (float)settings.DiscountFactor;
        long steps = 0;
        for (int episode = 0; episode < settings.Episodes; episode++)
        {
            ulong exploreBelow = (ulong)Math.Ceiling(schedule.ValueAt(episode) * (1 << 24));
            int state = TaxiRules.InitialStates[rng.NextInt(TaxiRules.InitialStates.Length)];
            for (int t = 0; t < 200; t++)
            {
                ulong bits = rng.NextUInt64();
                int action = (bits >> 40) < exploreBelow ? (int)(((bits & 0xFFFF_FFFFUL) * 6UL) >> 32) : ArgMax(q, state * 6, ref rng);
                var transition = TaxiRules.Lookup(state, (TaxiAction)action);
                float target = transition.Delivered ? transition.Reward : transition.Reward + gamma * Max(q, transition.Next * 6);
                ref float value = ref q[state * 6 + action];
                value += alpha * (target - value);
                steps++;
                state = transition.Next;
                if (transition.Delivered) break;
            }
        }
        return steps;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Max(float[] q, int row)
    {
        float max = q[row];
        for (int a = 1; a < 6; a++) max = MathF.Max(max, q[row + a]);
        return max;
    }

    private static int ArgMax(float[] q, int row, ref Rng rng)
    {
        float max = Max(q, row);
        int ties = 0, chosen = 0;
        for (int a = 0; a < 6; a++)
        {
            if (q[row + a] != max) continue;
            // Reservoir sampling keeps a uniform choice among the ties without a second pass.
            if (++ties == 1 || rng.NextInt(ties) == 0) chosen = a;
        }
        return chosen;
    }
}

/// <summary>An environment seen through an interface with boxed observations and actions.</summary>
public interface IBoxedEnvironment
{
    int StateCount { get; }
    int ActionCount { get; }
    int MaxEpisodeSteps { get; }
    object Reset(ref Rng rng);
    (object Observation, double Reward, bool Terminated) Step(object action, ref Rng rng);
    int Encode(object observation);
    object ActionAt(int index);
}

/// <summary>Taxi behind <see cref="IBoxedEnvironment"/>: the same rules, every observation and action boxed.</summary>
public sealed class BoxedTaxi : IBoxedEnvironment
{
    private Taxi _taxi;
    public int StateCount => 500;
    public int ActionCount => 6;
    public int MaxEpisodeSteps => 200;
    public object Reset(ref Rng rng) => _taxi.Reset(ref rng);

    public (object Observation, double Reward, bool Terminated) Step(object action, ref Rng rng)
    {
        var step = _taxi.Step((TaxiAction)action, ref rng);
        return (step.Observation, step.Reward, step.Terminated);
    }

    public int Encode(object observation) => TaxiState.Encode((TaxiState)observation);
    public object ActionAt(int index) => (TaxiAction)index;
}

/// <summary>Tabular Q-learning written against <see cref="IBoxedEnvironment"/>: the same algorithm, dispatch and boxing per step.</summary>
public static class BoxedTrainer
{
    public static long Train(IBoxedEnvironment environment, QLearningSettings settings)
    {
        var table = new QTable(environment.StateCount, environment.ActionCount);
        var rng = new Rng((ulong)settings.Seed);
        var schedule = settings.Exploration;
        float alpha = (float)settings.LearningRate, gamma = (float)settings.DiscountFactor;
        long steps = 0;
        for (int episode = 0; episode < settings.Episodes; episode++)
        {
            double epsilon = schedule.ValueAt(episode);
            int state = environment.Encode(environment.Reset(ref rng));
            for (int t = 0; t < environment.MaxEpisodeSteps; t++)
            {
                int action = rng.NextDouble() < epsilon ? rng.NextInt(environment.ActionCount) : table.GreedyAction(state, ref rng);
                var (observation, reward, terminated) = environment.Step(environment.ActionAt(action), ref rng);
                int next = environment.Encode(observation);
                float target = terminated ? (float)reward : (float)reward + gamma * table.MaxValue(next);
                table[state, action] += alpha * (target - table[state, action]);
                steps++;
                state = next;
                if (terminated) break;
            }
        }
        return steps;
    }
}
