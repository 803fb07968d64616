namespace QForge.Tests;

/// <summary>One state, one action, reward 1; never terminates, so the time limit of one step truncates every episode.</summary>
public struct Treadmill : IDiscreteEnvironment<Treadmill>
{
    public static string Name => "Treadmill";
    public static int StateCount => 1;
    public static int ActionCount => 1;
    public static int MaxEpisodeSteps => 1;
    public int ResetState(ref Rng rng) => 0;
    public DiscreteStep StepState(int action, ref Rng rng) => new(0, 1f, false, false, false);
}

/// <summary>One state, one action, reward 1, and every step terminates.</summary>
public struct Cliff : IDiscreteEnvironment<Cliff>
{
    public static string Name => "Cliff";
    public static int StateCount => 1;
    public static int ActionCount => 1;
    public static int MaxEpisodeSteps => 0;
    public int ResetState(ref Rng rng) => 0;
    public DiscreteStep StepState(int action, ref Rng rng) => new(0, 1f, true, false, true);
}

/// <summary>A buggy environment that reports a state outside its space.</summary>
public struct OutOfSpace : IDiscreteEnvironment<OutOfSpace>
{
    public static string Name => "OutOfSpace";
    public static int StateCount => 2;
    public static int ActionCount => 2;
    public static int MaxEpisodeSteps => 5;
    public int ResetState(ref Rng rng) => 0;
    public DiscreteStep StepState(int action, ref Rng rng) => new(7, 0f, false, false, false);
}
