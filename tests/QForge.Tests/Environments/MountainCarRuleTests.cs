using QForge.Experiments.MountainCar;

namespace QForge.Tests.Environments;

public class MountainCarRuleTests
{
    [Fact]
    public void Matches_gymnasiums_trajectory_bit_for_bit()
    {
        var (start, steps) = ReferenceTrajectory.Load("mountaincar-v0_seed42_swing.txt");
        var rng = new Rng(1);
        var env = new MountainCar(start[0], start[1]);
        Assert.True(steps.Count > 100);
        foreach (var row in steps)
        {
            var step = env.Step((Accelerate)row.Action, ref rng);
            Assert.Equal(BitConverter.DoubleToInt64Bits(row.State[0]), BitConverter.DoubleToInt64Bits(env.State.Position));
            Assert.Equal(BitConverter.DoubleToInt64Bits(row.State[1]), BitConverter.DoubleToInt64Bits(env.State.Velocity));
            Assert.Equal(row.ObservationBits, new[] { step.Observation.Position, step.Observation.Velocity }.Select(v => (uint)BitConverter.SingleToInt32Bits(v)));
            Assert.Equal(row.Reward, step.Reward);
            Assert.Equal(row.Terminated, step.Terminated);
        }
        Assert.True(steps[^1].Terminated, "the swing policy reaches the flag in the reference");
    }

    [Fact]
    public void The_left_wall_stops_the_car()
    {
        var rng = new Rng(1);
        var env = new MountainCar(-1.19, -0.07);
        env.Step(Accelerate.Left, ref rng);
        Assert.Equal((MountainCar.MinPosition, 0.0), env.State);
    }

    [Fact]
    public void Velocity_is_clipped_and_the_goal_needs_non_negative_velocity()
    {
        var rng = new Rng(1);
        var fast = new MountainCar(0.0, 0.0699);
        fast.Step(Accelerate.Right, ref rng);
        Assert.True(fast.State.Velocity <= MountainCar.MaxSpeed);
        var atGoal = new MountainCar(0.49, 0.02);
        var step = atGoal.Step(Accelerate.Right, ref rng);
        Assert.True(step.Terminated);
        Assert.Equal(-1.0, step.Reward);
        var backwards = new MountainCar(0.55, -0.03);
        Assert.False(backwards.Step(Accelerate.Left, ref rng).Terminated);
    }

    [Fact]
    public void Reset_is_uniform_in_the_valley_with_zero_velocity()
    {
        var rng = new Rng(2);
        var env = default(MountainCar);
        for (int i = 0; i < 1000; i++)
        {
            env.Reset(ref rng);
            Assert.InRange(env.State.Position, -0.6, -0.4);
            Assert.Equal(0.0, env.State.Velocity);
        }
        Assert.Equal(200, MountainCar.MaxEpisodeSteps);
        Assert.Equal(2, MountainCar.FeatureCount);
        Assert.Equal(3, MountainCar.ActionCount);
    }
}
