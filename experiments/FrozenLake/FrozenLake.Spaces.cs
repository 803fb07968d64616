// Hand-written in the exact shape QForge.Generators emits; replaced by the generator.
namespace QForge.Experiments.FrozenLake;

partial record struct Cell : global::QForge.IDiscreteSpace<Cell>
{
    public static int Count => 16;
    public static int Encode(in Cell value) => value.Index;
    public static Cell Decode(int index) => new Cell(index);
}

partial struct FrozenLake : global::QForge.IDiscreteEnvironment<FrozenLake>
{
    public static string Name => "FrozenLake-v1";
    public static int StateCount => Cell.Count;
    public static int ActionCount => 4;
    public static int MaxEpisodeSteps => 100;
    public int ResetState(ref global::QForge.Rng rng) => Cell.Encode(Reset(ref rng));
    public global::QForge.DiscreteStep StepState(int action, ref global::QForge.Rng rng)
    {
        var step = Step((Move)action, ref rng);
        return new global::QForge.DiscreteStep(Cell.Encode(step.Observation), (float)step.Reward, step.Terminated, step.Truncated, step.Success);
    }
}

partial record struct Cell8x8 : global::QForge.IDiscreteSpace<Cell8x8>
{
    public static int Count => 64;
    public static int Encode(in Cell8x8 value) => value.Index;
    public static Cell8x8 Decode(int index) => new Cell8x8(index);
}

partial struct FrozenLake8x8 : global::QForge.IDiscreteEnvironment<FrozenLake8x8>
{
    public static string Name => "FrozenLake8x8-v1";
    public static int StateCount => Cell8x8.Count;
    public static int ActionCount => 4;
    public static int MaxEpisodeSteps => 200;
    public int ResetState(ref global::QForge.Rng rng) => Cell8x8.Encode(Reset(ref rng));
    public global::QForge.DiscreteStep StepState(int action, ref global::QForge.Rng rng)
    {
        var step = Step((Move)action, ref rng);
        return new global::QForge.DiscreteStep(Cell8x8.Encode(step.Observation), (float)step.Reward, step.Terminated, step.Truncated, step.Success);
    }
}
