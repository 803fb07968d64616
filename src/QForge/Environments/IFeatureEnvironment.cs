namespace QForge;

/// <summary>
/// The feature view of an environment, which networks train on: observations written as float features, actions as
/// dense indices. QForge's generator implements it for every <see cref="EnvironmentAttribute"/> struct, from the
/// observation's generated <see cref="IFeatureSpace{TSelf}"/>.
/// </summary>
/// <typeparam name="TSelf">The environment type itself.</typeparam>
public interface IFeatureEnvironment<TSelf> : IEnvironmentInfo<TSelf> where TSelf : struct, IFeatureEnvironment<TSelf>
{
    /// <summary>The number of features of an observation.</summary>
    static abstract int FeatureCount { get; }

    /// <summary>Starts an episode and writes its first observation's features.</summary>
    void ResetFeatures(ref Rng rng, Span<float> features);

    /// <summary>Applies the action with index <paramref name="action"/> and writes the next observation's features.</summary>
    FeatureStep StepFeatures(int action, ref Rng rng, Span<float> features);
}

/// <summary>One step of an <see cref="IFeatureEnvironment{TSelf}"/>: the reward and the end flags (the features are written to the caller's span).</summary>
public readonly record struct FeatureStep(float Reward, bool Terminated, bool Truncated, bool Success);
