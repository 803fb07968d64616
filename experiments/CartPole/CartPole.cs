namespace QForge.Experiments.CartPole;

/// <summary>The push applied to the cart, numbered as in Gymnasium.</summary>
public enum Push { Left, Right }

/// <summary>What the agent sees: the float32 cast of the float64 state, as Gymnasium returns it.</summary>
public readonly partial record struct CartPoleObservation(
    [property: Continuous] float Position,
    [property: Continuous] float Velocity,
    [property: Continuous] float Angle,
    [property: Continuous] float AngularVelocity);

/// <summary>
/// Gymnasium's CartPole-v1: balance a pole on a cart by pushing it left or right. Explicit Euler with tau 0.02 s in
/// float64; +1 per step (the terminating one too); terminated when |x| > 2.4 or |theta| > 12 degrees; time limit 500.
/// </summary>
[Environment(MaxEpisodeSteps = 500, Name = "CartPole-v1")]
public partial struct CartPole : IEnvironment<CartPoleObservation, Push>
{
    private const double Gravity = 9.8;
    private const double MassCart = 1.0;
    private const double MassPole = 0.1;
    private const double TotalMass = MassPole + MassCart;
    private const double Length = 0.5; // half the pole's length
    private const double PoleMassLength = MassPole * Length;
    private const double ForceMagnitude = 10.0;
    private const double Tau = 0.02;

    /// <summary>12 degrees in radians, as Gymnasium computes it: 12 * 2 * pi / 360.</summary>
    public const double ThetaThreshold = 12 * 2 * Math.PI / 360;

    /// <summary>The cart position beyond which the episode ends.</summary>
    public const double XThreshold = 2.4;

    private double _x, _xDot, _theta, _thetaDot;

    /// <summary>A cart in the given float64 state (to replay a reference trajectory).</summary>
    public CartPole(double x, double xDot, double theta, double thetaDot) => (_x, _xDot, _theta, _thetaDot) = (x, xDot, theta, thetaDot);

    /// <summary>The float64 state: position, velocity, angle, angular velocity.</summary>
    public readonly (double X, double XDot, double Theta, double ThetaDot) State => (_x, _xDot, _theta, _thetaDot);

    /// <summary>The observation of the current state.</summary>
    public readonly CartPoleObservation Observation => new((float)_x, (float)_xDot, (float)_theta, (float)_thetaDot);

    /// <inheritdoc/>
    public CartPoleObservation Reset(ref Rng rng)
    {
        _x = rng.NextDouble(-0.05, 0.05);
        _xDot = rng.NextDouble(-0.05, 0.05);
        _theta = rng.NextDouble(-0.05, 0.05);
        _thetaDot = rng.NextDouble(-0.05, 0.05);
        return Observation;
    }

    /// <inheritdoc/>
    public Step<CartPoleObservation> Step(Push action, ref Rng rng)
    {
        double force = action == Push.Right ? ForceMagnitude : -ForceMagnitude;
        double cosTheta = Math.Cos(_theta);
        double sinTheta = Math.Sin(_theta);
        // The same operations in the same order as Gymnasium, so results agree bit for bit.
        double temp = (force + PoleMassLength * (_thetaDot * _thetaDot) * sinTheta) / TotalMass;
        double thetaAcc = (Gravity * sinTheta - cosTheta * temp) / (Length * (4.0 / 3.0 - MassPole * (cosTheta * cosTheta) / TotalMass));
        double xAcc = temp - PoleMassLength * thetaAcc * cosTheta / TotalMass;
        _x += Tau * _xDot;
        _xDot += Tau * xAcc;
        _theta += Tau * _thetaDot;
        _thetaDot += Tau * thetaAcc;
        bool terminated = _x < -XThreshold || _x > XThreshold || _theta < -ThetaThreshold || _theta > ThetaThreshold;
        return new Step<CartPoleObservation>(Observation, 1.0, terminated);
    }
}
