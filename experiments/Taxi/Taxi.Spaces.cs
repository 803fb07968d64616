// Hand-written in the exact shape QForge.Generators emits; replaced by the generator.
namespace QForge.Experiments.Taxi;

partial record struct TaxiState : global::QForge.IDiscreteSpace<TaxiState>
{
    public static int Count => 500;
    public static int Encode(in TaxiState value) => ((value.Row * 5 + value.Column) * 5 + (int)value.Passenger) * 4 + (int)value.Destination;
    public static TaxiState Decode(int index)
    {
        int destination = index % 4; index /= 4;
        int passenger = index % 5; index /= 5;
        int column = index % 5; index /= 5;
        return new TaxiState(index, column, (PassengerLocation)passenger, (Depot)destination);
    }
}

partial struct Taxi : global::QForge.IDiscreteEnvironment<Taxi>
{
    public static string Name => "Taxi-v3";
    public static int StateCount => TaxiState.Count;
    public static int ActionCount => 6;
    public static int MaxEpisodeSteps => 200;
    public int ResetState(ref global::QForge.Rng rng) => TaxiState.Encode(Reset(ref rng));
    public global::QForge.DiscreteStep StepState(int action, ref global::QForge.Rng rng)
    {
        var step = Step((TaxiAction)action, ref rng);
        return new global::QForge.DiscreteStep(TaxiState.Encode(step.Observation), (float)step.Reward, step.Terminated, step.Truncated, step.Success);
    }
}
