using System.Diagnostics;

namespace QForge.Training;

/// <summary>
/// Environment steps per second since a call to Train began, for episode reports, without reading the clock every
/// episode: a high-resolution clock read costs ~30 ns on this project's virtual machines, a third of the work of a
/// FrozenLake episode's bookkeeping, so the rate is refreshed on the first report and then once per
/// <see cref="RefreshSteps"/> steps (every ~130 FrozenLake episodes, every few CartPole episodes).
/// </summary>
internal struct StepRate(long startSteps)
{
    /// <summary>Steps between clock reads.</summary>
    public const int RefreshSteps = 1024;

    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly long _startSteps = startSteps;
    private long _refreshAt = startSteps;
    private double _rate;

    /// <summary>The rate as of the last refresh, refreshing it once <paramref name="totalSteps"/> has moved on far enough.</summary>
    public double At(long totalSteps)
    {
        if (totalSteps >= _refreshAt)
        {
            double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            _rate = seconds > 0 ? (totalSteps - _startSteps) / seconds : 0;
            _refreshAt = totalSteps + RefreshSteps;
        }
        return _rate;
    }
}
