namespace QForge.Tabular;

/// <summary>
/// A ring buffer of discrete transitions (s, a, r, terminated, s') stored as parallel arrays, for tabular experience
/// replay. Adding overwrites the oldest transition once full; sampling is uniform over the stored ones.
/// </summary>
public sealed class TransitionBuffer
{
    private readonly int[] _states;
    private readonly int[] _actions;
    private readonly float[] _rewards;
    private readonly bool[] _terminated;
    private readonly int[] _nextStates;
    private int _next;

    /// <summary>Creates an empty buffer of <paramref name="capacity"/> transitions.</summary>
    public TransitionBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _states = new int[capacity];
        _actions = new int[capacity];
        _rewards = new float[capacity];
        _terminated = new bool[capacity];
        _nextStates = new int[capacity];
    }

    /// <summary>The maximum number of transitions held.</summary>
    public int Capacity => _states.Length;

    /// <summary>The number of transitions held.</summary>
    public int Count { get; private set; }

    /// <summary>Stores a transition, replacing the oldest when full.</summary>
    public void Add(int state, int action, float reward, bool terminated, int nextState)
    {
        int i = _next;
        _states[i] = state;
        _actions[i] = action;
        _rewards[i] = reward;
        _terminated[i] = terminated;
        _nextStates[i] = nextState;
        _next = i + 1 == _states.Length ? 0 : i + 1;
        if (Count < _states.Length) Count++;
    }

    /// <summary>The transition at position <paramref name="index"/> of the storage (0 to <see cref="Count"/> - 1).</summary>
    public (int State, int Action, float Reward, bool Terminated, int NextState) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The buffer holds {Count} transitions.");
            return (_states[index], _actions[index], _rewards[index], _terminated[index], _nextStates[index]);
        }
    }

    /// <summary>Draws a uniformly random stored position (with replacement).</summary>
    public int SampleIndex(ref Rng rng) => rng.NextInt(Count);

    /// <summary>The position the next transition is written to.</summary>
    internal int NextPosition => _next;

    /// <summary>Restores the contents and positions saved in a checkpoint.</summary>
    internal void Restore(int count, int next, int[] states, int[] actions, float[] rewards, byte[] terminated, int[] nextStates)
    {
        if (count < 0 || count > Capacity || next < 0 || next >= Capacity || states.Length != count || actions.Length != count
            || rewards.Length != count || terminated.Length != count || nextStates.Length != count)
            throw new InvalidDataException($"The replay buffer in the checkpoint (count {count}, next {next}) does not fit a buffer of capacity {Capacity}.");
        states.CopyTo(_states, 0);
        actions.CopyTo(_actions, 0);
        rewards.CopyTo(_rewards, 0);
        for (int i = 0; i < count; i++) _terminated[i] = terminated[i] != 0;
        nextStates.CopyTo(_nextStates, 0);
        Count = count;
        _next = next;
    }

    internal int[] States => _states;
    internal int[] Actions => _actions;
    internal float[] Rewards => _rewards;
    internal bool[] TerminatedFlags => _terminated;
    internal int[] NextStates => _nextStates;
}
