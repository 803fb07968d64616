namespace QForge.Experiments.FrozenLake;

/// <summary>A cell of the 4x4 lake: row * 4 + column.</summary>
public readonly partial record struct Cell([property: Discrete(16)] int Index);

/// <summary>
/// Gymnasium's FrozenLake-v1 on the 4x4 map: cross a slippery frozen lake from S to G without falling into a hole.
/// Time limit 100 steps.
/// </summary>
[Environment(MaxEpisodeSteps = 100, Name = "FrozenLake-v1")]
public partial struct FrozenLake : IEnvironment<Cell, Move>
{
    private readonly bool _notSlippery; // inverted so that default(FrozenLake) is slippery, as in Gymnasium
    private int _position;

    /// <summary>A lake; slippery unless <paramref name="isSlippery"/> is false.</summary>
    public FrozenLake(bool isSlippery) => _notSlippery = !isSlippery;

    /// <summary>Whether moves slip sideways (Gymnasium's default).</summary>
    public readonly bool IsSlippery => !_notSlippery;

    /// <inheritdoc/>
    public Cell Reset(ref Rng rng)
    {
        _position = LakeMap.Map4x4.Start;
        return new Cell(_position);
    }

    /// <inheritdoc/>
    public Step<Cell> Step(Move action, ref Rng rng)
    {
        var (next, terminated, goal) = LakeMap.Map4x4.Step(_position, action, !_notSlippery, ref rng);
        _position = next;
        return new Step<Cell>(new Cell(next), goal ? 1.0 : 0.0, terminated, Success: goal);
    }
}

/// <summary>A cell of the 8x8 lake: row * 8 + column.</summary>
public readonly partial record struct Cell8x8([property: Discrete(64)] int Index);

/// <summary>Gymnasium's FrozenLake8x8-v1: the 8x8 map, time limit 200 steps.</summary>
[Environment(MaxEpisodeSteps = 200, Name = "FrozenLake8x8-v1")]
public partial struct FrozenLake8x8 : IEnvironment<Cell8x8, Move>
{
    private readonly bool _notSlippery;
    private int _position;

    /// <summary>A lake; slippery unless <paramref name="isSlippery"/> is false.</summary>
    public FrozenLake8x8(bool isSlippery) => _notSlippery = !isSlippery;

    /// <inheritdoc/>
    public Cell8x8 Reset(ref Rng rng)
    {
        _position = LakeMap.Map8x8.Start;
        return new Cell8x8(_position);
    }

    /// <inheritdoc/>
    public Step<Cell8x8> Step(Move action, ref Rng rng)
    {
        var (next, terminated, goal) = LakeMap.Map8x8.Step(_position, action, !_notSlippery, ref rng);
        _position = next;
        return new Step<Cell8x8>(new Cell8x8(next), goal ? 1.0 : 0.0, terminated, Success: goal);
    }
}
