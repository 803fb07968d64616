namespace QForge.Experiments.CliffWalking;

/// <summary>The moves of CliffWalking, numbered as in Gymnasium.</summary>
public enum Move { Up, Right, Down, Left }

/// <summary>A position on the 4x12 grid; its index is row * 12 + column, as in Gymnasium.</summary>
public readonly partial record struct Position([property: Discrete(4)] int Row, [property: Discrete(12)] int Column);

/// <summary>
/// Gymnasium's CliffWalking-v0: walk from the bottom-left corner to the bottom-right one along a cliff. -1 per step;
/// stepping into the cliff costs -100 and returns the agent to the start without ending the episode. No time limit.
/// </summary>
[Environment(Name = "CliffWalking-v0")]
public partial struct CliffWalking : IEnvironment<Position, Move>
{
    /// <summary>The start, bottom-left.</summary>
    public static readonly Position Start = new(3, 0);

    /// <summary>The goal, bottom-right.</summary>
    public static readonly Position Goal = new(3, 11);

    private Position _position;

    /// <inheritdoc/>
    public Position Reset(ref Rng rng)
    {
        _position = Start;
        return _position;
    }

    /// <inheritdoc/>
    public Step<Position> Step(Move action, ref Rng rng)
    {
        var (row, column) = _position;
        switch (action)
        {
            case Move.Up: row = Math.Max(row - 1, 0); break;
            case Move.Right: column = Math.Min(column + 1, 11); break;
            case Move.Down: row = Math.Min(row + 1, 3); break;
            case Move.Left: column = Math.Max(column - 1, 0); break;
        }
        if (row == 3 && column is >= 1 and <= 10)
        {
            _position = Start;
            return new Step<Position>(Start, -100, Terminated: false);
        }
        _position = new Position(row, column);
        bool atGoal = _position == Goal;
        return new Step<Position>(_position, -1, atGoal, Success: atGoal);
    }
}
