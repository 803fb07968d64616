using QForge.Experiments.Acrobot;

namespace QForge.Tests.Environments;

public class AcrobotRuleTests
{
    [Fact]
    public void Matches_gymnasiums_trajectory()
    {
        var (start, steps) = ReferenceTrajectory.Load("acrobot-v1_seed42_cycle3.txt");
        var rng = new Rng(1);
        var env = new Acrobot(start[0], start[1], start[2], start[3]);
        int mismatchedBits = 0;
        foreach (var row in steps)
        {
            var step = env.Step((Torque)row.Action, ref rng);
            var (t1, t2, d1, d2) = env.State;
            double[] actual = [t1, t2, d1, d2];
            for (int i = 0; i < 4; i++)
            {
                if (BitConverter.DoubleToInt64Bits(actual[i]) != BitConverter.DoubleToInt64Bits(row.State[i])) mismatchedBits++;
                Assert.True(Math.Abs(actual[i] - row.State[i]) <= 1e-12 * Math.Max(1, Math.Abs(row.State[i])), $"step {steps.IndexOf(row)} value {i}: {actual[i]:R} vs {row.State[i]:R}");
            }
            Assert.Equal(row.Reward, step.Reward);
            Assert.Equal(row.Terminated, step.Terminated);
        }
        Assert.Equal(0, mismatchedBits);
    }

    [Fact]
    public void Reset_draws_float32_rounded_values_in_plus_minus_0_1()
    {
        var rng = new Rng(4);
        var env = default(Acrobot);
        for (int i = 0; i < 500; i++)
        {
            env.Reset(ref rng);
            var (t1, t2, d1, d2) = env.State;
            Assert.All(new[] { t1, t2, d1, d2 }, v =>
            {
                Assert.InRange(v, -0.1, 0.1);
                Assert.Equal(v, (double)(float)v);
            });
        }
        Assert.Equal(6, Acrobot.FeatureCount);
        Assert.Equal(3, Acrobot.ActionCount);
        Assert.Equal(500, Acrobot.MaxEpisodeSteps);
    }

    [Fact]
    public void Terminates_with_reward_0_when_the_tip_is_above_the_bar()
    {
        var rng = new Rng(1);
        var env = new Acrobot(Math.PI - 0.1, 0.0, 0.0, 0.0); // hanging upwards: -cos(t1) - cos(t1 + t2) is about 2
        var step = env.Step(Torque.Zero, ref rng);
        Assert.True(step.Terminated);
        Assert.Equal(0.0, step.Reward);
        var hanging = new Acrobot(0, 0, 0, 0);
        Assert.Equal(-1.0, hanging.Step(Torque.Positive, ref rng).Reward);
    }

    [Fact]
    public void Angles_wrap_and_velocities_are_bounded()
    {
        var rng = new Rng(1);
        var env = new Acrobot(3.1, -3.1, 100, -100);
        env.Step(Torque.Positive, ref rng);
        var (t1, t2, d1, d2) = env.State;
        Assert.InRange(t1, -Math.PI, Math.PI);
        Assert.InRange(t2, -Math.PI, Math.PI);
        Assert.InRange(d1, -4 * Math.PI, 4 * Math.PI);
        Assert.InRange(d2, -9 * Math.PI, 9 * Math.PI);
    }
}
