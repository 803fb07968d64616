using QForge.Experiments.FrozenLake;

namespace QForge.Tests.Environments;

public class FrozenLakeRuleTests
{
    private static Step<Cell> StepFrom(int position, Move move, bool slippery, ref Rng rng)
    {
        var lake = new FrozenLake(slippery);
        lake.Reset(ref rng);
        // Walk to the position along a deterministic path is not needed: place the agent through the map's rules.
        var (next, terminated, goal) = LakeMap.Map4x4.Step(position, move, slippery, ref rng);
        return new Step<Cell>(new Cell(next), goal ? 1 : 0, terminated, Success: goal);
    }

    [Theory]
    [InlineData(0, Move.Left, 0)]
    [InlineData(0, Move.Up, 0)]
    [InlineData(0, Move.Down, 4)]
    [InlineData(0, Move.Right, 1)]
    [InlineData(3, Move.Right, 3)]
    [InlineData(10, Move.Down, 14)]
    [InlineData(14, Move.Left, 13)]
    public void Moves_follow_the_grid_and_stop_at_the_border(int from, Move move, int expected)
    {
        var rng = new Rng(1);
        Assert.Equal(expected, StepFrom(from, move, slippery: false, ref rng).Observation.Index);
    }

    [Fact]
    public void Holes_terminate_without_reward_and_the_goal_pays_one()
    {
        var rng = new Rng(1);
        var hole = StepFrom(1, Move.Down, false, ref rng);
        Assert.Equal((5, 0.0, true, false), (hole.Observation.Index, hole.Reward, hole.Terminated, hole.Success));
        var goal = StepFrom(14, Move.Right, false, ref rng);
        Assert.Equal((15, 1.0, true, true), (goal.Observation.Index, goal.Reward, goal.Terminated, goal.Success));
        var frozen = StepFrom(0, Move.Right, false, ref rng);
        Assert.Equal((1, 0.0, false), (frozen.Observation.Index, frozen.Reward, frozen.Terminated));
    }

    [Fact]
    public void The_maps_are_gymnasiums()
    {
        var rng = new Rng(1);
        int[] holes4 = Enumerable.Range(0, 16).Where(s => IsHole(LakeMap.Map4x4, s, ref rng)).ToArray();
        Assert.Equal([5, 7, 11, 12], holes4);
        int[] holes8 = Enumerable.Range(0, 64).Where(s => IsHole(LakeMap.Map8x8, s, ref rng)).ToArray();
        Assert.Equal([19, 29, 35, 41, 42, 46, 49, 52, 54, 59], holes8);
        Assert.Equal(100, FrozenLake.MaxEpisodeSteps);
        Assert.Equal(200, FrozenLake8x8.MaxEpisodeSteps);
        Assert.Equal(16, FrozenLake.StateCount);
        Assert.Equal(64, FrozenLake8x8.StateCount);
    }

    private static bool IsHole(LakeMap map, int state, ref Rng rng)
    {
        // A tile is a hole when stepping onto it terminates without reaching the goal: approach it from a neighbour.
        int columns = map.Columns;
        int row = state / columns, col = state % columns;
        var (from, move) = col > 0 ? (state - 1, Move.Right) : (state - columns, Move.Down);
        if (row == 0 && col == 0) return false;
        var (next, terminated, goal) = map.Step(from, move, false, ref rng);
        return next == state && terminated && !goal;
    }

    [Fact]
    public void Slippery_moves_go_the_intended_way_or_either_perpendicular_one_a_third_each()
    {
        var rng = new Rng(9);
        var counts = new Dictionary<int, int>();
        const int n = 30_000;
        for (int i = 0; i < n; i++)
        {
            int next = StepFrom(5 + 0 * 0 + 1, Move.Down, slippery: true, ref rng).Observation.Index; // from 6 (row 1, col 2)
            counts[next] = counts.GetValueOrDefault(next) + 1;
        }
        // From 6 moving down: down -> 10, left -> 5, right -> 7; never up (2).
        Assert.Equal([5, 7, 10], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, n / 3 * 0.95, n / 3 * 1.05));
    }

    [Fact]
    public void Reset_starts_at_S_and_default_is_slippery()
    {
        var rng = new Rng(1);
        var lake = default(FrozenLake);
        Assert.True(lake.IsSlippery);
        Assert.Equal(0, lake.Reset(ref rng).Index);
        Assert.False(new FrozenLake(isSlippery: false).IsSlippery);
    }

    [Fact]
    public void The_environment_and_its_index_view_agree()
    {
        var a = new FrozenLake(isSlippery: true);
        var b = new FrozenLake(isSlippery: true);
        var rngA = new Rng(3);
        var rngB = new Rng(3);
        Assert.Equal(a.Reset(ref rngA).Index, b.ResetState(ref rngB));
        for (int i = 0; i < 200; i++)
        {
            var move = (Move)(i % 4);
            var typed = a.Step(move, ref rngA);
            var indexed = b.StepState((int)move, ref rngB);
            Assert.Equal(typed.Observation.Index, indexed.State);
            Assert.Equal((float)typed.Reward, indexed.Reward);
            Assert.Equal(typed.Terminated, indexed.Terminated);
            if (typed.Terminated)
            {
                a.Reset(ref rngA);
                b.ResetState(ref rngB);
            }
        }
    }
}
