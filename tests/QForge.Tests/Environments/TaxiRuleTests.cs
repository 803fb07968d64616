using QForge.Experiments.Taxi;

namespace QForge.Tests.Environments;

public class TaxiRuleTests
{
    private static TaxiState S(int row, int col, PassengerLocation passenger, Depot destination) => new(row, col, passenger, destination);

    [Fact]
    public void The_state_index_is_gymnasiums_encoding()
    {
        // Gymnasium's documentation: encode(3, 1, 2, 0) == 328.
        Assert.Equal(328, TaxiState.Encode(S(3, 1, PassengerLocation.Yellow, Depot.Red)));
        Assert.Equal(500, Taxi.StateCount);
        Assert.Equal(6, Taxi.ActionCount);
        Assert.Equal(200, Taxi.MaxEpisodeSteps);
        for (int i = 0; i < 500; i++)
        {
            var state = TaxiState.Decode(i);
            Assert.Equal(i, TaxiState.Encode(state));
            Assert.Equal(((state.Row * 5 + state.Column) * 5 + (int)state.Passenger) * 4 + (int)state.Destination, i);
        }
    }

    [Theory]
    [InlineData(0, 0, TaxiAction.East, 0, 1)]
    [InlineData(0, 1, TaxiAction.East, 0, 1)] // wall between (0,1) and (0,2)
    [InlineData(0, 2, TaxiAction.West, 0, 2)]
    [InlineData(3, 0, TaxiAction.East, 3, 0)]
    [InlineData(4, 2, TaxiAction.East, 4, 2)]
    [InlineData(4, 2, TaxiAction.West, 4, 1)]
    [InlineData(2, 1, TaxiAction.East, 2, 2)] // the open middle row
    [InlineData(4, 4, TaxiAction.South, 4, 4)]
    [InlineData(0, 3, TaxiAction.North, 0, 3)]
    [InlineData(1, 3, TaxiAction.South, 2, 3)]
    [InlineData(0, 4, TaxiAction.East, 0, 4)]
    public void Moves_respect_walls_and_edges_and_cost_one(int row, int col, TaxiAction action, int expectedRow, int expectedCol)
    {
        var (next, reward, delivered) = TaxiRules.Transition(S(row, col, PassengerLocation.Red, Depot.Blue), action);
        Assert.Equal((expectedRow, expectedCol), (next.Row, next.Column));
        Assert.Equal(-1, reward);
        Assert.False(delivered);
    }

    [Fact]
    public void Pickup_and_dropoff_follow_gymnasium()
    {
        // Pick up at the passenger's depot.
        Assert.Equal((S(4, 0, PassengerLocation.InTaxi, Depot.Green), -1, false), TaxiRules.Transition(S(4, 0, PassengerLocation.Yellow, Depot.Green), TaxiAction.Pickup));
        // Pick up elsewhere, or while carrying: -10 and nothing changes.
        Assert.Equal((S(4, 1, PassengerLocation.Yellow, Depot.Green), -10, false), TaxiRules.Transition(S(4, 1, PassengerLocation.Yellow, Depot.Green), TaxiAction.Pickup));
        Assert.Equal((S(4, 0, PassengerLocation.InTaxi, Depot.Green), -10, false), TaxiRules.Transition(S(4, 0, PassengerLocation.InTaxi, Depot.Green), TaxiAction.Pickup));
        // Drop off at the destination: +20 and the episode ends.
        Assert.Equal((S(0, 4, PassengerLocation.Green, Depot.Green), 20, true), TaxiRules.Transition(S(0, 4, PassengerLocation.InTaxi, Depot.Green), TaxiAction.Dropoff));
        // Drop off at another depot: the passenger waits there, -1.
        Assert.Equal((S(4, 3, PassengerLocation.Blue, Depot.Green), -1, false), TaxiRules.Transition(S(4, 3, PassengerLocation.InTaxi, Depot.Green), TaxiAction.Dropoff));
        // Drop off away from a depot, or with no passenger: -10.
        Assert.Equal((S(2, 2, PassengerLocation.InTaxi, Depot.Green), -10, false), TaxiRules.Transition(S(2, 2, PassengerLocation.InTaxi, Depot.Green), TaxiAction.Dropoff));
        Assert.Equal((S(0, 4, PassengerLocation.Red, Depot.Green), -10, false), TaxiRules.Transition(S(0, 4, PassengerLocation.Red, Depot.Green), TaxiAction.Dropoff));
    }

    [Fact]
    public void The_precomputed_table_agrees_with_the_rules()
    {
        for (int state = 0; state < 500; state++)
        {
            foreach (var action in Enum.GetValues<TaxiAction>())
            {
                var (next, reward, delivered) = TaxiRules.Transition(TaxiState.Decode(state), action);
                Assert.Equal(new TaxiTransition(next, TaxiState.Encode(next), reward, delivered), TaxiRules.Lookup(state, action));
            }
        }
    }

    [Fact]
    public void Reset_is_uniform_over_the_300_start_states()
    {
        Assert.Equal(300, TaxiRules.InitialStates.Length);
        Assert.Equal(300, TaxiRules.InitialStates.Distinct().Count());
        Assert.Equal(TaxiRules.InitialStates.Order(), TaxiRules.InitialStates);
        Assert.All(TaxiRules.InitialStates.Select(TaxiState.Decode), s => Assert.True(s.Passenger != PassengerLocation.InTaxi && (int)s.Passenger != (int)s.Destination));
        var rng = new Rng(2);
        var taxi = default(Taxi);
        var counts = new int[500];
        for (int i = 0; i < 300_000; i++) counts[taxi.ResetState(ref rng)]++;
        Assert.Equal(300, counts.Count(c => c > 0));
        Assert.All(counts.Where(c => c > 0), c => Assert.InRange(c, 800, 1200));
    }

    [Fact]
    public void A_delivery_reports_success_through_the_environment()
    {
        var rng = new Rng(1);
        var taxi = default(Taxi);
        // Find a start with the passenger at Red going to Green, then drive it: the optimal route has return 20 - 10 = ... checked step by step.
        TaxiState start;
        do start = taxi.Reset(ref rng); while (start is not { Passenger: PassengerLocation.Red, Destination: Depot.Green, Row: 0, Column: 0 });
        var pickup = taxi.Step(TaxiAction.Pickup, ref rng);
        Assert.Equal(PassengerLocation.InTaxi, pickup.Observation.Passenger);
        TaxiAction[] route = [TaxiAction.South, TaxiAction.South, TaxiAction.East, TaxiAction.East, TaxiAction.East, TaxiAction.East, TaxiAction.North, TaxiAction.North];
        foreach (var move in route) Assert.False(taxi.Step(move, ref rng).Terminated);
        var drop = taxi.Step(TaxiAction.Dropoff, ref rng);
        Assert.True(drop.Terminated);
        Assert.True(drop.Success);
        Assert.Equal(20, drop.Reward);
    }
}
