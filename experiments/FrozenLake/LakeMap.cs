namespace QForge.Experiments.FrozenLake;

/// <summary>The moves of FrozenLake, numbered as in Gymnasium.</summary>
public enum Move { Left, Down, Right, Up }

/// <summary>
/// A FrozenLake map and its rules (Gymnasium FrozenLake-v1): S start, F frozen, H hole, G goal. Moving into the
/// border stays put; on a slippery lake the agent moves in the intended direction or either perpendicular one,
/// 1/3 each; entering H or G ends the episode, and only G pays 1.
/// </summary>
public sealed class LakeMap
{
    /// <summary>Gymnasium's 4x4 map.</summary>
    public static readonly LakeMap Map4x4 = new(["SFFF", "FHFH", "FFFH", "HFFG"]);

    /// <summary>Gymnasium's 8x8 map.</summary>
    public static readonly LakeMap Map8x8 = new(["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"]);

    private readonly int[] _next;       // [state * 4 + direction] -> next state
    private readonly byte[] _outcome;   // [state] -> 0 frozen, 1 hole, 2 goal

    /// <summary>Builds the rules of a map given as rows of S, F, H and G.</summary>
    public LakeMap(string[] rows)
    {
        Rows = rows.Length;
        Columns = rows[0].Length;
        int states = Rows * Columns;
        _next = new int[states * 4];
        _outcome = new byte[states];
        for (int row = 0; row < Rows; row++)
        {
            for (int col = 0; col < Columns; col++)
            {
                int state = row * Columns + col;
                char tile = rows[row][col];
                _outcome[state] = tile switch { 'H' => 1, 'G' => 2, _ => 0 };
                if (tile == 'S') Start = state;
                _next[state * 4 + (int)Move.Left] = row * Columns + Math.Max(col - 1, 0);
                _next[state * 4 + (int)Move.Down] = Math.Min(row + 1, Rows - 1) * Columns + col;
                _next[state * 4 + (int)Move.Right] = row * Columns + Math.Min(col + 1, Columns - 1);
                _next[state * 4 + (int)Move.Up] = Math.Max(row - 1, 0) * Columns + col;
            }
        }
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>The start state (the S tile).</summary>
    public int Start { get; }

    /// <summary>
    /// Moves from <paramref name="state"/> with <paramref name="move"/>: returns the next state, and whether it is
    /// a hole or the goal.
    /// </summary>
    public (int Next, bool Terminated, bool Goal) Step(int state, Move move, bool slippery, ref Rng rng)
    {
        int direction = (int)move;
        if (slippery)
            direction = (direction + rng.NextInt(3) + 3) & 3; // (a - 1) mod 4, a or (a + 1) mod 4, 1/3 each
        int next = _next[state * 4 + direction];
        byte outcome = _outcome[next];
        return (next, outcome != 0, outcome == 2);
    }
}
