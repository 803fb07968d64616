using QForge.Experiments.CliffWalking;
using QForge.Experiments.FrozenLake;
using QForge.Experiments.Taxi;
using QForge.Tabular;

namespace QForge.Tests.Learning;

/// <summary>The foundation's learning targets, with the experiments' own settings and fixed seeds.</summary>
[Trait("Category", "Learning")]
public class TabularLearningTests
{
    public static TheoryData<long, int> SeedsAndReplay => new() { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 1, 10_000 }, { 2, 10_000 } };

    [Theory]
    [MemberData(nameof(SeedsAndReplay))]
    public void FrozenLake_4x4_slippery_succeeds_at_least_70_percent(long seed, int replay)
    {
        // The slippery lake needs a long memory: a 10k buffer holds only the last ~400 episodes and replays their
        // luck; 50k (the last ~2000) averages the slip outcomes well enough (measured over seeds 1-4).
        var settings = new LakeTraining { Seed = seed, ReplayCapacity = replay > 0 ? 50_000 : 0 };
        var result = TabularRun.Execute(settings, new FrozenLake(isSlippery: true));
        Assert.Equal(1000, result.Evaluation.Episodes);
        Assert.True(result.Evaluation.SuccessRate >= 0.70, result.Describe(FrozenLake.Name));
    }

    [Theory]
    [MemberData(nameof(SeedsAndReplay))]
    public void Taxi_mean_greedy_return_is_at_least_7_5(long seed, int replay)
    {
        var settings = new TaxiTraining { Seed = seed, ReplayCapacity = replay };
        var result = TabularRun.Execute<Taxi>(settings);
        Assert.Equal(100, result.Evaluation.Episodes);
        Assert.True(result.Evaluation.MeanReturn >= 7.5, result.Describe(Taxi.Name));
    }

    [Theory]
    [MemberData(nameof(SeedsAndReplay))]
    public void CliffWalking_greedy_return_is_minus_13(long seed, int replay)
    {
        var settings = new CliffTraining { Seed = seed, ReplayCapacity = replay };
        var result = TabularRun.Execute<CliffWalking>(settings);
        Assert.Equal(-13, result.Evaluation.MeanReturn);
        Assert.Equal(1.0, result.Evaluation.SuccessRate);
    }
}
