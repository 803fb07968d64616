namespace QForge;

/// <summary>
/// A reinforcement-learning environment with observations of type <typeparamref name="TObservation"/> and actions of
/// type <typeparamref name="TAction"/>, in Gymnasium's shape: <see cref="Reset"/> starts an episode and
/// <see cref="Step"/> applies one action.
/// </summary>
/// <remarks>
/// Implement it on a <c>partial struct</c> marked <see cref="EnvironmentAttribute"/>: QForge's generator then adds the
/// index-level view (<see cref="IDiscreteEnvironment{TSelf}"/>) that the trainers run on, specialised by the JIT for
/// this type. Draw every random number from the <see cref="Rng"/> passed in, so runs are reproducible.
/// The time limit (<see cref="EnvironmentAttribute.MaxEpisodeSteps"/>) is applied by the trainer and truncates the
/// episode; the environment itself reports only the task's own terminal states.
/// </remarks>
public interface IEnvironment<TObservation, TAction>
{
    /// <summary>Starts a new episode and returns its first observation.</summary>
    TObservation Reset(ref Rng rng);

    /// <summary>Applies <paramref name="action"/> and returns the next observation, the reward and whether the episode ended.</summary>
    Step<TObservation> Step(TAction action, ref Rng rng);
}

/// <summary>The outcome of one environment step.</summary>
/// <param name="Observation">The observation after the step.</param>
/// <param name="Reward">The reward of the transition.</param>
/// <param name="Terminated">The task reached a terminal state: its value is 0 and the target does not bootstrap.</param>
/// <param name="Truncated">The episode was cut short for a reason outside the task (the target still bootstraps).</param>
/// <param name="Success">The episode reached the task's goal (Gymnasium's <c>info["is_success"]</c>); counted by evaluation.</param>
public readonly record struct Step<TObservation>(
    TObservation Observation,
    double Reward,
    bool Terminated,
    bool Truncated = false,
    bool Success = false);
