namespace QForge.Dqn;

/// <summary>
/// A struct-of-arrays ring buffer of feature transitions (s, a, r, terminated, s') for DQN. Only
/// <c>terminated</c> is stored: a truncated transition keeps its real next observation and bootstraps from it.
/// </summary>
public sealed class DqnReplayBuffer
{
    private readonly float[] _observations;
    private readonly float[] _nextObservations;
    private readonly int[] _actions;
    private readonly float[] _rewards;
    private readonly bool[] _terminated;
    private readonly int _features;
    private int _next;

    /// <summary>Creates an empty buffer of <paramref name="capacity"/> transitions of <paramref name="features"/> features.</summary>
    public DqnReplayBuffer(int capacity, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        _features = features;
        _observations = new float[(long)capacity * features];
        _nextObservations = new float[(long)capacity * features];
        _actions = new int[capacity];
        _rewards = new float[capacity];
        _terminated = new bool[capacity];
    }

    /// <summary>The maximum number of transitions.</summary>
    public int Capacity => _actions.Length;

    /// <summary>The number of transitions held.</summary>
    public int Count { get; private set; }

    /// <summary>Stores a transition, replacing the oldest when full.</summary>
    public void Add(ReadOnlySpan<float> observation, int action, float reward, bool terminated, ReadOnlySpan<float> nextObservation)
    {
        int i = _next;
        observation.CopyTo(_observations.AsSpan(i * _features, _features));
        nextObservation.CopyTo(_nextObservations.AsSpan(i * _features, _features));
        _actions[i] = action;
        _rewards[i] = reward;
        _terminated[i] = terminated;
        _next = i + 1 == Capacity ? 0 : i + 1;
        if (Count < Capacity) Count++;
    }

    /// <summary>Copies <paramref name="batch"/> uniformly sampled transitions (with replacement) into the destination arrays.</summary>
    public void Sample(ref Rng rng, int batch, Span<float> observations, Span<int> actions, Span<float> rewards, Span<bool> terminated, Span<float> nextObservations)
    {
        if (Count == 0) throw new InvalidOperationException("The replay buffer is empty.");
        for (int b = 0; b < batch; b++)
        {
            int i = rng.NextInt(Count);
            _observations.AsSpan(i * _features, _features).CopyTo(observations.Slice(b * _features, _features));
            _nextObservations.AsSpan(i * _features, _features).CopyTo(nextObservations.Slice(b * _features, _features));
            actions[b] = _actions[i];
            rewards[b] = _rewards[i];
            terminated[b] = _terminated[i];
        }
    }
}
