using QForge.Experiments.CliffWalking;

namespace QForge.Tests.Environments;

public class CliffWalkingRuleTests
{
    [Fact]
    public void Start_goal_and_sizes_are_gymnasiums()
    {
        Assert.Equal(36, Position.Encode(CliffWalking.Start));
        Assert.Equal(47, Position.Encode(CliffWalking.Goal));
        Assert.Equal(48, CliffWalking.StateCount);
        Assert.Equal(4, CliffWalking.ActionCount);
        Assert.Equal(0, CliffWalking.MaxEpisodeSteps);
    }

    [Fact]
    public void Stepping_into_the_cliff_costs_100_and_returns_to_start_without_ending()
    {
        var rng = new Rng(1);
        var env = default(CliffWalking);
        env.Reset(ref rng);
        var step = env.Step(Move.Right, ref rng);
        Assert.Equal((CliffWalking.Start, -100.0, false), (step.Observation, step.Reward, step.Terminated));
    }

    [Fact]
    public void The_optimal_path_returns_minus_13_and_reaches_the_goal()
    {
        var rng = new Rng(1);
        var env = default(CliffWalking);
        env.Reset(ref rng);
        Move[] path = [Move.Up, .. Enumerable.Repeat(Move.Right, 11), Move.Down];
        double total = 0;
        Step<Position> step = default;
        foreach (var move in path)
        {
            Assert.False(step.Terminated);
            step = env.Step(move, ref rng);
            total += step.Reward;
        }
        Assert.Equal(-13, total);
        Assert.True(step.Terminated);
        Assert.True(step.Success);
        Assert.Equal(CliffWalking.Goal, step.Observation);
    }

    [Theory]
    [InlineData(Move.Left, 36)]
    [InlineData(Move.Down, 36)]
    [InlineData(Move.Up, 24)]
    public void Moves_clamp_at_the_border(Move move, int expected)
    {
        var rng = new Rng(1);
        var env = default(CliffWalking);
        env.Reset(ref rng);
        var step = env.Step(move, ref rng);
        Assert.Equal(expected, Position.Encode(step.Observation));
        Assert.Equal(-1, step.Reward);
    }
}
