namespace QForge.Experiments.Taxi;

/// <summary>The taxi's actions, numbered as in Gymnasium.</summary>
public enum TaxiAction { South, North, East, West, Pickup, Dropoff }

/// <summary>The four depots, R, G, Y and B.</summary>
public enum Depot { Red, Green, Yellow, Blue }

/// <summary>Where the passenger is: at a depot, or in the taxi.</summary>
public enum PassengerLocation { Red, Green, Yellow, Blue, InTaxi }

/// <summary>
/// The state of Taxi-v3. Its dense index is Gymnasium's: ((row * 5 + column) * 5 + passenger) * 4 + destination.
/// </summary>
public readonly partial record struct TaxiState(
    [property: Discrete(5)] int Row,
    [property: Discrete(5)] int Column,
    PassengerLocation Passenger,
    Depot Destination);

/// <summary>
/// Gymnasium's Taxi-v3: drive to the passenger, pick them up and drop them at their destination on a 5x5 grid
/// with walls. -1 per step, -10 for an illegal pickup or drop-off, +20 for a delivery (which ends the episode).
/// Time limit 200 steps.
/// </summary>
[Environment(MaxEpisodeSteps = 200, Name = "Taxi-v3")]
public partial struct Taxi : IEnvironment<TaxiState, TaxiAction>
{
    private int _state; // the state's index; the rules are precomputed per (state, action), as Gymnasium does

    /// <summary>Starts in one of the 300 states whose passenger waits at a depot other than the destination, uniformly.</summary>
    public TaxiState Reset(ref Rng rng)
    {
        _state = TaxiRules.InitialStates[rng.NextInt(TaxiRules.InitialStates.Length)];
        return TaxiState.Decode(_state);
    }

    /// <inheritdoc/>
    public Step<TaxiState> Step(TaxiAction action, ref Rng rng)
    {
        var transition = TaxiRules.Lookup(_state, action);
        _state = transition.Next;
        return new Step<TaxiState>(transition.NextState, transition.Reward, transition.Delivered, Success: transition.Delivered);
    }
}

/// <summary>One precomputed Taxi transition: the next state (and its index), the reward and whether the passenger was delivered.</summary>
public readonly record struct TaxiTransition(TaxiState NextState, int Next, int Reward, bool Delivered);

/// <summary>Taxi-v3's map and rules.</summary>
public static class TaxiRules
{
    /// <summary>The map; a '|' between two cells is a wall.</summary>
    public static readonly string[] Map =
    [
        "+---------+",
        "|R: | : :G|",
        "| : | : : |",
        "| : : : : |",
        "| | : | : |",
        "|Y| : |B: |",
        "+---------+",
    ];

    /// <summary>The (row, column) of each depot.</summary>
    public static readonly (int Row, int Column)[] Depots = [(0, 0), (0, 4), (4, 0), (4, 3)];

    /// <summary>The indices of the 300 start states in increasing order: passenger at a depot that is not the destination.</summary>
    public static readonly int[] InitialStates = BuildInitialStates();

    private static readonly TaxiTransition[] Transitions = BuildTransitions();

    /// <summary>The precomputed <see cref="Transition"/> of the state with index <paramref name="state"/>.</summary>
    public static TaxiTransition Lookup(int state, TaxiAction action) => Transitions[state * 6 + (int)action];

    /// <summary>The rules: the next state, the reward, and whether the passenger was delivered.</summary>
    public static (TaxiState Next, int Reward, bool Delivered) Transition(TaxiState state, TaxiAction action)
    {
        var (row, column, passenger, destination) = state;
        int reward = -1;
        bool delivered = false;
        switch (action)
        {
            case TaxiAction.South:
                row = Math.Min(row + 1, 4);
                break;
            case TaxiAction.North:
                row = Math.Max(row - 1, 0);
                break;
            case TaxiAction.East when Map[1 + row][2 * column + 2] == ':':
                column = Math.Min(column + 1, 4);
                break;
            case TaxiAction.West when Map[1 + row][2 * column] == ':':
                column = Math.Max(column - 1, 0);
                break;
            case TaxiAction.Pickup:
                if (passenger != PassengerLocation.InTaxi && Depots[(int)passenger] == (row, column))
                    passenger = PassengerLocation.InTaxi;
                else
                    reward = -10;
                break;
            case TaxiAction.Dropoff:
                int depot = Array.IndexOf(Depots, (row, column));
                if (passenger == PassengerLocation.InTaxi && depot == (int)destination)
                {
                    passenger = (PassengerLocation)destination;
                    delivered = true;
                    reward = 20;
                }
                else if (passenger == PassengerLocation.InTaxi && depot >= 0)
                {
                    passenger = (PassengerLocation)depot;
                }
                else
                {
                    reward = -10;
                }
                break;
        }
        return (new TaxiState(row, column, passenger, destination), reward, delivered);
    }

    private static int[] BuildInitialStates() =>
        Enumerable.Range(0, TaxiState.Count)
            .Where(i => TaxiState.Decode(i) is var s && s.Passenger != PassengerLocation.InTaxi && (int)s.Passenger != (int)s.Destination)
            .ToArray();

    private static TaxiTransition[] BuildTransitions()
    {
        var table = new TaxiTransition[TaxiState.Count * 6];
        for (int state = 0; state < TaxiState.Count; state++)
        {
            for (int action = 0; action < 6; action++)
            {
                var (next, reward, delivered) = Transition(TaxiState.Decode(state), (TaxiAction)action);
                table[state * 6 + action] = new TaxiTransition(next, TaxiState.Encode(next), reward, delivered);
            }
        }
        return table;
    }
}
