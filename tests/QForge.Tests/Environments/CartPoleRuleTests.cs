using QForge.Experiments.CartPole;

namespace QForge.Tests.Environments;

public class CartPoleRuleTests
{
    [Fact]
    public void Hex_floats_parse_exactly()
    {
        Assert.Equal(0.027395604855596334, ReferenceTrajectory.ParseHexFloat("0x1.c0d97eba2bd40p-6"));
        Assert.Equal(-0.006112156024794771, ReferenceTrajectory.ParseHexFloat("-0x1.9090f63c0b010p-8"));
        Assert.Equal(0.0, ReferenceTrajectory.ParseHexFloat("0x0.0p+0"));
    }

    [Fact]
    public void Matches_gymnasiums_trajectory_bit_for_bit()
    {
        var (start, steps) = ReferenceTrajectory.Load("cartpole-v1_seed42_alternating.txt");
        var rng = new Rng(1);
        var env = new CartPole(start[0], start[1], start[2], start[3]);
        Assert.Equal(23, steps.Count); // terminates at t = 22
        foreach (var row in steps)
        {
            var step = env.Step((Push)row.Action, ref rng);
            var (x, xDot, theta, thetaDot) = env.State;
            Assert.Equal(row.State.Select(BitConverter.DoubleToInt64Bits), new[] { x, xDot, theta, thetaDot }.Select(BitConverter.DoubleToInt64Bits));
            var o = step.Observation;
            Assert.Equal(row.ObservationBits, new[] { o.Position, o.Velocity, o.Angle, o.AngularVelocity }.Select(v => (uint)BitConverter.SingleToInt32Bits(v)));
            Assert.Equal(row.Reward, step.Reward);
            Assert.Equal(row.Terminated, step.Terminated);
            Assert.False(step.Truncated);
        }
    }

    [Theory]
    [InlineData(2.39, 0.0, false)]
    [InlineData(2.41, 0.0, true)]
    [InlineData(-2.41, 0.0, true)]
    [InlineData(0.0, 0.2094, false)]
    [InlineData(0.0, 0.2095, true)]
    [InlineData(0.0, -0.2095, true)]
    public void Terminates_outside_the_position_and_angle_limits_and_still_pays(double x, double theta, bool terminated)
    {
        var rng = new Rng(1);
        // Zero velocities: one step moves position and angle only through the velocities, which are still zero.
        var env = new CartPole(x, 0, theta, 0);
        var step = env.Step(Push.Left, ref rng);
        Assert.Equal(terminated, step.Terminated);
        Assert.Equal(1.0, step.Reward);
        Assert.Equal(0.20943951023931953, CartPole.ThetaThreshold);
    }

    [Fact]
    public void Reset_draws_each_value_uniformly_in_plus_minus_0_05_from_the_runs_generator()
    {
        var a = new Rng(3);
        var b = new Rng(3);
        var env = default(CartPole);
        for (int i = 0; i < 1000; i++)
        {
            var observation = env.Reset(ref a);
            Assert.All(new[] { env.State.X, env.State.XDot, env.State.Theta, env.State.ThetaDot }, v => Assert.InRange(v, -0.05, 0.05));
            Assert.Equal(observation, default(CartPole).Reset(ref b));
        }
        Assert.Equal(500, CartPole.MaxEpisodeSteps);
        Assert.Equal(4, CartPole.FeatureCount);
        Assert.Equal(2, CartPole.ActionCount);
    }

    [Fact]
    public void The_generated_features_are_the_raw_observation()
    {
        var observation = new CartPoleObservation(0.5f, -1.25f, 0.1f, 3f);
        Span<float> features = stackalloc float[4];
        CartPoleObservation.WriteFeatures(observation, features);
        Assert.Equal([0.5f, -1.25f, 0.1f, 3f], features.ToArray());
    }
}
