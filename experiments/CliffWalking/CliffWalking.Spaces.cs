// Hand-written in the exact shape QForge.Generators emits; replaced by the generator.
namespace QForge.Experiments.CliffWalking;

partial record struct Position : global::QForge.IDiscreteSpace<Position>
{
    public static int Count => 48;
    public static int Encode(in Position value) => value.Row * 12 + value.Column;
    public static Position Decode(int index) => new Position(index / 12, index % 12);
}

partial struct CliffWalking : global::QForge.IDiscreteEnvironment<CliffWalking>
{
    public static string Name => "CliffWalking-v0";
    public static int StateCount => Position.Count;
    public static int ActionCount => 4;
    public static int MaxEpisodeSteps => 0;
    public int ResetState(ref global::QForge.Rng rng) => Position.Encode(Reset(ref rng));
    public global::QForge.DiscreteStep StepState(int action, ref global::QForge.Rng rng)
    {
        var step = Step((Move)action, ref rng);
        return new global::QForge.DiscreteStep(Position.Encode(step.Observation), (float)step.Reward, step.Terminated, step.Truncated, step.Success);
    }
}
