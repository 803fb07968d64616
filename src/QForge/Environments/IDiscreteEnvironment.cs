using System.Runtime.InteropServices;

namespace QForge;

/// <summary>
/// The index-level view of an environment whose observations and actions are finite: states and actions are dense
/// integers. The tabular trainers run on this view; the counts are static so the JIT specialises each trainer per
/// environment type (constant-sized rows, no interface dispatch per step).
/// </summary>
/// <remarks>
/// QForge's source generator implements this interface for every <see cref="EnvironmentAttribute"/> struct whose
/// observation and action types are discrete, by wrapping <see cref="IEnvironment{TObservation,TAction}"/> with the
/// generated <c>Encode</c>/<c>Decode</c> of the spaces.
/// </remarks>
/// <typeparam name="TSelf">The environment type itself.</typeparam>
public interface IDiscreteEnvironment<TSelf> : IEnvironmentInfo<TSelf> where TSelf : struct, IDiscreteEnvironment<TSelf>
{
    /// <summary>The number of distinct observations (the size of the observation space).</summary>
    static abstract int StateCount { get; }

    /// <summary>Starts an episode and returns the index of its first observation.</summary>
    int ResetState(ref Rng rng);

    /// <summary>Applies the action with index <paramref name="action"/>.</summary>
    DiscreteStep StepState(int action, ref Rng rng);
}

/// <summary>What every view of an environment states about it: its name, its number of actions and its time limit.</summary>
/// <typeparam name="TSelf">The environment type itself.</typeparam>
public interface IEnvironmentInfo<TSelf> where TSelf : struct, IEnvironmentInfo<TSelf>
{
    /// <summary>The environment's name, as shown in logs and tracking (e.g. <c>FrozenLake-v1</c>).</summary>
    static abstract string Name { get; }

    /// <summary>The number of actions.</summary>
    static abstract int ActionCount { get; }

    /// <summary>The time limit in steps after which an episode is truncated; 0 means no limit.</summary>
    static abstract int MaxEpisodeSteps { get; }
}

/// <summary>One step of an <see cref="IDiscreteEnvironment{TSelf}"/>: the next state's index, the reward and the end flags.</summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct DiscreteStep(int State, float Reward, bool Terminated, bool Truncated, bool Success);

/// <summary>
/// A finite space of values of <typeparamref name="TSelf"/> numbered densely from 0 to <see cref="Count"/> - 1:
/// generated for observation records whose fields are bounded (mixed radix over the fields).
/// </summary>
public interface IDiscreteSpace<TSelf> where TSelf : IDiscreteSpace<TSelf>
{
    /// <summary>The number of distinct values.</summary>
    static abstract int Count { get; }

    /// <summary>The dense index of <paramref name="value"/>, in [0, <see cref="Count"/>).</summary>
    static abstract int Encode(in TSelf value);

    /// <summary>The value with index <paramref name="index"/>.</summary>
    static abstract TSelf Decode(int index);
}
