using System.Diagnostics;
using QForge.Training;

namespace QForge.Hosting;

/// <summary>
/// Collects what the progress display shows, on the training thread and without allocating: the latest episode, the
/// epsilon, the throughput and the mean return of the last 100 episodes. Read from another thread at any time.
/// </summary>
public sealed class TrainingProgress : ITrainingObserver
{
    private const int Window = 100;
    private readonly double[] _returns = new double[Window];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private double _windowSum;
    private int _windowCount;
    private int _windowNext;
    private long _episode;
    private double _epsilon;
    private double _stepsPerSecond;
    private double _meanReturn;
    private long _totalSteps;

    private readonly bool _countSteps;

    /// <summary>
    /// Creates the collector for a run whose progress goes from <paramref name="startEpisode"/> (non-zero on resume)
    /// to <paramref name="targetEpisodes"/>, counted in episodes, or in environment steps when <paramref name="countSteps"/>.
    /// </summary>
    public TrainingProgress(long targetEpisodes, long startEpisode, bool countSteps = false)
    {
        TargetEpisodes = targetEpisodes;
        _episode = startEpisode;
        StartEpisode = startEpisode;
        _countSteps = countSteps;
    }

    /// <summary>What <see cref="Episode"/> counts: "episode" or "step".</summary>
    public string Unit => _countSteps ? "step" : "episode";

    /// <summary>The progress the run reaches at its end.</summary>
    public long TargetEpisodes { get; }

    /// <summary>The episode this process started from.</summary>
    public long StartEpisode { get; }

    /// <summary>Progress: episodes completed, or environment steps taken when counting steps.</summary>
    public long Episode => Volatile.Read(ref _episode);

    /// <summary>Environment steps so far.</summary>
    public long TotalSteps => Volatile.Read(ref _totalSteps);

    /// <summary>The latest epsilon.</summary>
    public double Epsilon => Volatile.Read(ref _epsilon);

    /// <summary>Environment steps per second in this process.</summary>
    public double StepsPerSecond => Volatile.Read(ref _stepsPerSecond);

    /// <summary>The mean return of the last 100 episodes.</summary>
    public double MeanReturn => Volatile.Read(ref _meanReturn);

    /// <summary>Time since this process began training.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>Estimated time to the last episode, from the pace so far; null before the first episode.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            long done = Episode - StartEpisode;
            return done <= 0 ? null : Elapsed * ((double)(TargetEpisodes - Episode) / done);
        }
    }

    /// <inheritdoc/>
    public void OnEpisodeEnd(in EpisodeReport report)
    {
        if (_windowCount == Window) _windowSum -= _returns[_windowNext];
        else _windowCount++;
        _returns[_windowNext] = report.Return;
        _windowSum += report.Return;
        _windowNext = (_windowNext + 1) % Window;
        Volatile.Write(ref _meanReturn, _windowSum / _windowCount);
        Volatile.Write(ref _epsilon, report.Epsilon);
        Volatile.Write(ref _stepsPerSecond, report.StepsPerSecond);
        Volatile.Write(ref _totalSteps, report.TotalSteps);
        Volatile.Write(ref _episode, _countSteps ? report.TotalSteps : report.Episode + 1);
    }
}

/// <summary>Sends each episode to several observers.</summary>
public sealed class CompositeObserver(params ITrainingObserver[] observers) : ITrainingObserver
{
    /// <inheritdoc/>
    public void OnEpisodeEnd(in EpisodeReport report)
    {
        foreach (var observer in observers) observer.OnEpisodeEnd(report);
    }

    /// <inheritdoc/>
    public void OnEvaluation(long step, in EvaluationResult result)
    {
        foreach (var observer in observers) observer.OnEvaluation(step, result);
    }

    /// <inheritdoc/>
    public void OnUpdate(long update, long step, float loss, float meanQ)
    {
        foreach (var observer in observers) observer.OnUpdate(update, step, loss, meanQ);
    }
}
