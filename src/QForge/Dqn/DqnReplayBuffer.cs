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

    /// <summary>The write position and count, "next count", for checkpoints.</summary>
    internal string Position => $"{_next} {Count}";

    /// <summary>The stored transitions as tensors, for checkpoints.</summary>
    internal IEnumerable<Serialization.Tensor> ToTensors()
    {
        int n = Count;
        // Views, not copies (see Tensor.View); a bool is stored as one byte, 0 or 1, as the U8 tensor wants.
        yield return Serialization.Tensor.View("replay.observations", Serialization.TensorType.F32, [n * _features], _observations, n * _features);
        yield return Serialization.Tensor.View("replay.next_observations", Serialization.TensorType.F32, [n * _features], _nextObservations, n * _features);
        yield return Serialization.Tensor.View("replay.actions", Serialization.TensorType.I32, [n], _actions, n);
        yield return Serialization.Tensor.View("replay.rewards", Serialization.TensorType.F32, [n], _rewards, n);
        yield return Serialization.Tensor.View("replay.terminated", Serialization.TensorType.U8, [n], _terminated, n);
    }

    /// <summary>Restores what <see cref="ToTensors"/> and <see cref="Position"/> saved.</summary>
    internal void Restore(IReadOnlyList<Serialization.Tensor> tensors, string position, string path)
    {
        float[] Float(string name) => (tensors.FirstOrDefault(t => t.Name == name) ?? throw new InvalidDataException($"'{path}' has no tensor '{name}'.")).ToFloat32();
        string[] parts = position.Split(' ');
        int next = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), count = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var actions = (tensors.FirstOrDefault(t => t.Name == "replay.actions") ?? throw new InvalidDataException($"'{path}' has no replay actions.")).ToInt32();
        var terminated = (tensors.FirstOrDefault(t => t.Name == "replay.terminated") ?? throw new InvalidDataException($"'{path}' has no replay flags.")).ToUInt8();
        float[] observations = Float("replay.observations"), nextObservations = Float("replay.next_observations"), rewards = Float("replay.rewards");
        if (count > Capacity || next >= Capacity || actions.Length != count || rewards.Length != count || terminated.Length != count
            || observations.Length != count * _features || nextObservations.Length != count * _features)
            throw new InvalidDataException($"'{path}': the replay buffer (count {count}) does not fit a buffer of capacity {Capacity} with {_features} features.");
        observations.CopyTo(_observations, 0);
        nextObservations.CopyTo(_nextObservations, 0);
        actions.CopyTo(_actions, 0);
        rewards.CopyTo(_rewards, 0);
        for (int i = 0; i < count; i++) _terminated[i] = terminated[i] != 0;
        _next = next;
        Count = count;
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
