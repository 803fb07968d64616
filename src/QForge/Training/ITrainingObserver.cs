namespace QForge.Training;

/// <summary>
/// Receives training progress: called on the training thread at the end of each episode, so implementations must be
/// quick (queue the report; do I/O elsewhere). Tracking, progress displays and tests plug in here.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>An episode ended.</summary>
    void OnEpisodeEnd(in EpisodeReport report);

    /// <summary>A gradient step finished (network trainers call this): its loss and the minibatch's mean Q(s, a).</summary>
    void OnUpdate(long update, long step, float loss, float meanQ)
    {
    }

    /// <summary>A periodic greedy evaluation finished (trainers that evaluate during training call this).</summary>
    void OnEvaluation(long step, in EvaluationResult result)
    {
    }
}

/// <summary>What one training episode did.</summary>
/// <param name="Episode">The episode's 0-based index since training began.</param>
/// <param name="Return">The undiscounted sum of rewards.</param>
/// <param name="Length">The number of steps.</param>
/// <param name="Epsilon">The exploration rate the episode ran with.</param>
/// <param name="Terminated">The episode reached a terminal state (false: it was truncated by the time limit).</param>
/// <param name="Success">The environment reported success on the last step.</param>
/// <param name="TotalSteps">Environment steps since training began, this episode's included.</param>
/// <param name="StepsPerSecond">Environment steps per second over this call to Train so far (refreshed every 1,024 steps, not every episode).</param>
public readonly record struct EpisodeReport(
    long Episode,
    double Return,
    int Length,
    double Epsilon,
    bool Terminated,
    bool Success,
    long TotalSteps,
    double StepsPerSecond);

/// <summary>What a call to Train did.</summary>
/// <param name="Episodes">Episodes run by this call.</param>
/// <param name="Steps">Environment steps run by this call.</param>
/// <param name="Elapsed">Wall time of this call.</param>
/// <param name="Cancelled">Training stopped early because cancellation was requested.</param>
public readonly record struct TrainingSummary(long Episodes, long Steps, TimeSpan Elapsed, bool Cancelled)
{
    /// <summary>Environment steps per second.</summary>
    public double StepsPerSecond => Elapsed > TimeSpan.Zero ? Steps / Elapsed.TotalSeconds : 0;
}

/// <summary>Greedy evaluation results over a number of episodes.</summary>
/// <param name="Episodes">The number of evaluation episodes.</param>
/// <param name="MeanReturn">The mean undiscounted return.</param>
/// <param name="StdReturn">The population standard deviation of the return.</param>
/// <param name="MeanLength">The mean episode length in steps.</param>
/// <param name="SuccessRate">The fraction of episodes whose last step reported success.</param>
public readonly record struct EvaluationResult(int Episodes, double MeanReturn, double StdReturn, double MeanLength, double SuccessRate);
