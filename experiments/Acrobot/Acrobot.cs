namespace QForge.Experiments.Acrobot;

/// <summary>The torque on the joint between the links: -1, 0 or +1, numbered as in Gymnasium.</summary>
public enum Torque { Negative, Zero, Positive }

/// <summary>What the agent sees, in float32: the sines and cosines of both angles and both angular velocities.</summary>
public readonly partial record struct AcrobotObservation(
    [property: Continuous] float CosTheta1,
    [property: Continuous] float SinTheta1,
    [property: Continuous] float CosTheta2,
    [property: Continuous] float SinTheta2,
    [property: Continuous] float AngularVelocity1,
    [property: Continuous] float AngularVelocity2);

/// <summary>
/// Gymnasium's Acrobot-v1 ("book" dynamics): swing the tip of a two-link pendulum above the bar by torquing the
/// middle joint. One classic Runge-Kutta step of 0.2 s per action in float64; -1 per step, 0 on the terminating one;
/// time limit 500.
/// </summary>
[Environment(MaxEpisodeSteps = 500, Name = "Acrobot-v1")]
public partial struct Acrobot : IEnvironment<AcrobotObservation, Torque>
{
    private const double Dt = 0.2;
    private const double LinkLength1 = 1.0;
    private const double LinkMass1 = 1.0;
    private const double LinkMass2 = 1.0;
    private const double LinkCenter1 = 0.5;
    private const double LinkCenter2 = 0.5;
    private const double LinkInertia = 1.0;
    private const double MaxVelocity1 = 4 * Math.PI;
    private const double MaxVelocity2 = 9 * Math.PI;
    private const double G = 9.8;

    private double _theta1, _theta2, _dtheta1, _dtheta2;

    /// <summary>An acrobot in the given float64 state (to replay a reference trajectory).</summary>
    public Acrobot(double theta1, double theta2, double dtheta1, double dtheta2) => (_theta1, _theta2, _dtheta1, _dtheta2) = (theta1, theta2, dtheta1, dtheta2);

    /// <summary>The float64 state: both angles and both angular velocities.</summary>
    public readonly (double Theta1, double Theta2, double Dtheta1, double Dtheta2) State => (_theta1, _theta2, _dtheta1, _dtheta2);

    /// <summary>The observation of the current state.</summary>
    public readonly AcrobotObservation Observation => new((float)Math.Cos(_theta1), (float)Math.Sin(_theta1), (float)Math.Cos(_theta2),
        (float)Math.Sin(_theta2), (float)_dtheta1, (float)_dtheta2);

    /// <summary>Each state value uniform in [-0.1, 0.1), rounded to float32 as Gymnasium's reset does.</summary>
    public AcrobotObservation Reset(ref Rng rng)
    {
        _theta1 = (float)rng.NextDouble(-0.1, 0.1);
        _theta2 = (float)rng.NextDouble(-0.1, 0.1);
        _dtheta1 = (float)rng.NextDouble(-0.1, 0.1);
        _dtheta2 = (float)rng.NextDouble(-0.1, 0.1);
        return Observation;
    }

    /// <inheritdoc/>
    public Step<AcrobotObservation> Step(Torque action, ref Rng rng)
    {
        double torque = (int)action - 1.0;
        // Gymnasium's rk4 over [0, dt] with the torque appended to the state (its derivative is 0).
        const double half = Dt / 2.0;
        var s = (_theta1, _theta2, _dtheta1, _dtheta2);
        var k1 = Derivatives(s, torque);
        var k2 = Derivatives(Add(s, half, k1), torque);
        var k3 = Derivatives(Add(s, half, k2), torque);
        var k4 = Derivatives(Add(s, Dt, k3), torque);
        const double sixth = Dt / 6.0;
        _theta1 = s._theta1 + sixth * (k1.Item1 + 2 * k2.Item1 + 2 * k3.Item1 + k4.Item1);
        _theta2 = s._theta2 + sixth * (k1.Item2 + 2 * k2.Item2 + 2 * k3.Item2 + k4.Item2);
        _dtheta1 = s._dtheta1 + sixth * (k1.Item3 + 2 * k2.Item3 + 2 * k3.Item3 + k4.Item3);
        _dtheta2 = s._dtheta2 + sixth * (k1.Item4 + 2 * k2.Item4 + 2 * k3.Item4 + k4.Item4);
        _theta1 = Wrap(_theta1, -Math.PI, Math.PI);
        _theta2 = Wrap(_theta2, -Math.PI, Math.PI);
        _dtheta1 = Math.Min(Math.Max(_dtheta1, -MaxVelocity1), MaxVelocity1);
        _dtheta2 = Math.Min(Math.Max(_dtheta2, -MaxVelocity2), MaxVelocity2);
        bool terminated = -Math.Cos(_theta1) - Math.Cos(_theta2 + _theta1) > 1.0;
        return new Step<AcrobotObservation>(Observation, terminated ? 0.0 : -1.0, terminated, Success: terminated);
    }

    private static (double, double, double, double) Add((double, double, double, double) s, double h, (double, double, double, double) k) =>
        (s.Item1 + h * k.Item1, s.Item2 + h * k.Item2, s.Item3 + h * k.Item3, s.Item4 + h * k.Item4);

    /// <summary>The equations of motion, term by term in Gymnasium's order (book dynamics, no torque noise).</summary>
    private static (double, double, double, double) Derivatives((double Theta1, double Theta2, double Dtheta1, double Dtheta2) s, double a)
    {
        const double m1 = LinkMass1, m2 = LinkMass2, l1 = LinkLength1, lc1 = LinkCenter1, lc2 = LinkCenter2, i1 = LinkInertia, i2 = LinkInertia;
        double d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * Math.Cos(s.Theta2)) + i1 + i2;
        double d2 = m2 * (lc2 * lc2 + l1 * lc2 * Math.Cos(s.Theta2)) + i2;
        double phi2 = m2 * lc2 * G * Math.Cos(s.Theta1 + s.Theta2 - Math.PI / 2.0);
        double phi1 = -m2 * l1 * lc2 * (s.Dtheta2 * s.Dtheta2) * Math.Sin(s.Theta2)
            - 2 * m2 * l1 * lc2 * s.Dtheta2 * s.Dtheta1 * Math.Sin(s.Theta2)
            + (m1 * lc1 + m2 * l1) * G * Math.Cos(s.Theta1 - Math.PI / 2)
            + phi2;
        double ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * (s.Dtheta1 * s.Dtheta1) * Math.Sin(s.Theta2) - phi2)
            / (m2 * (lc2 * lc2) + i2 - d2 * d2 / d1);
        double ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
        return (s.Dtheta1, s.Dtheta2, ddtheta1, ddtheta2);
    }

    private static double Wrap(double x, double low, double high)
    {
        double range = high - low;
        while (x > high) x -= range;
        while (x < low) x += range;
        return x;
    }
}
