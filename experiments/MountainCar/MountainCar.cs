namespace QForge.Experiments.MountainCar;

/// <summary>The car's acceleration, numbered as in Gymnasium.</summary>
public enum Accelerate { Left, None, Right }

/// <summary>What the agent sees: the float32 cast of position and velocity.</summary>
public readonly partial record struct MountainCarObservation([property: Continuous] float Position, [property: Continuous] float Velocity);

/// <summary>
/// Gymnasium's MountainCar-v0: drive an underpowered car up a hill by swinging back and forth. -1 per step;
/// terminated at position >= 0.5 with velocity >= 0; time limit 200.
/// </summary>
[Environment(MaxEpisodeSteps = 200, Name = "MountainCar-v0")]
public partial struct MountainCar : IEnvironment<MountainCarObservation, Accelerate>
{
    /// <summary>The left wall.</summary>
    public const double MinPosition = -1.2;

    /// <summary>The right edge.</summary>
    public const double MaxPosition = 0.6;

    /// <summary>The speed limit in either direction.</summary>
    public const double MaxSpeed = 0.07;

    /// <summary>The flag's position.</summary>
    public const double GoalPosition = 0.5;

    private const double GoalVelocity = 0;
    private const double Force = 0.001;
    private const double Gravity = 0.0025;

    private double _position, _velocity;

    /// <summary>A car in the given float64 state (to replay a reference trajectory).</summary>
    public MountainCar(double position, double velocity) => (_position, _velocity) = (position, velocity);

    /// <summary>The float64 state.</summary>
    public readonly (double Position, double Velocity) State => (_position, _velocity);

    /// <inheritdoc/>
    public MountainCarObservation Reset(ref Rng rng)
    {
        _position = rng.NextDouble(-0.6, -0.4);
        _velocity = 0;
        return new MountainCarObservation((float)_position, (float)_velocity);
    }

    /// <inheritdoc/>
    public Step<MountainCarObservation> Step(Accelerate action, ref Rng rng)
    {
        // Gymnasium: velocity += (action - 1) * force + cos(3 * position) * (-gravity), then the clips, in this order.
        _velocity += ((int)action - 1) * Force + Math.Cos(3 * _position) * -Gravity;
        _velocity = Math.Min(Math.Max(_velocity, -MaxSpeed), MaxSpeed);
        _position += _velocity;
        _position = Math.Min(Math.Max(_position, MinPosition), MaxPosition);
        if (_position == MinPosition && _velocity < 0) _velocity = 0;
        bool terminated = _position >= GoalPosition && _velocity >= GoalVelocity;
        return new Step<MountainCarObservation>(new MountainCarObservation((float)_position, (float)_velocity), -1.0, terminated, Success: terminated);
    }
}
