namespace QForge.Tracking;

/// <summary>A run's state, numbered as MLflow numbers it in meta.yaml (and named as its REST API names it).</summary>
public enum RunState
{
    /// <summary>In progress (1, <c>RUNNING</c>).</summary>
    Running = 1,

    /// <summary>Completed (3, <c>FINISHED</c>).</summary>
    Finished = 3,

    /// <summary>Threw (4, <c>FAILED</c>).</summary>
    Failed = 4,

    /// <summary>Stopped by a signal (5, <c>KILLED</c>).</summary>
    Killed = 5,
}

/// <summary>One metric value: <paramref name="Timestamp"/> is in Unix milliseconds.</summary>
/// <param name="Key">The metric key (MLflow's key rules, see <see cref="TrackingKeys"/>).</param>
/// <param name="Value">The value; NaN and infinities are allowed.</param>
/// <param name="Step">The step (an episode, an environment step...).</param>
/// <param name="Timestamp">When it was measured, in Unix milliseconds.</param>
public readonly record struct MetricPoint(string Key, double Value, long Step, long Timestamp);

/// <summary>A run in a store: what every write to it needs.</summary>
/// <param name="ExperimentId">The id of the run's experiment.</param>
/// <param name="RunId">The run id (32 lowercase hex digits when QForge or an MLflow server created it).</param>
/// <param name="ArtifactUri">Where the run's artifacts live (<c>file:///...</c>, or <c>mlflow-artifacts:/...</c> on a server).</param>
public sealed record RunInfo(string ExperimentId, string RunId, string ArtifactUri);

/// <summary>An existing run reopened by <see cref="ITrackingStore.ResumeRunAsync"/>.</summary>
/// <param name="Info">Where it lives.</param>
/// <param name="RunName">Its name.</param>
/// <param name="StartTime">When it first started (Unix ms).</param>
/// <param name="UserId">Who started it.</param>
public sealed record ExistingRun(RunInfo Info, string RunName, long StartTime, string UserId);

/// <summary>Where a <see cref="TrackedRun"/>'s records ended up.</summary>
public enum TrackingDelivery
{
    /// <summary>The run is still being written.</summary>
    Writing,

    /// <summary>Every record reached the store.</summary>
    Delivered,

    /// <summary>
    /// The tracking server became unreachable; the records from then on (with the run's params and tags) are in a
    /// local file-store run, <see cref="TrackedRun.SpoolDirectory"/>, ready for <see cref="RestStore.PushAsync"/>.
    /// </summary>
    Spooled,

    /// <summary>Some records were refused or could not be written anywhere; the problems returned by <see cref="TrackedRun.EndAsync"/> say which.</summary>
    Incomplete,
}

/// <summary>What <see cref="RestStore.PushAsync"/> did.</summary>
/// <param name="RemoteRunId">The run on the server that now holds the local run.</param>
/// <param name="CreatedRemoteRun">Whether this push created that run (false when an earlier push or the writer had).</param>
/// <param name="ParamsSent">Params the server did not have yet.</param>
/// <param name="TagsSent">Tags that were missing or different on the server (all of them when the run was created).</param>
/// <param name="MetricsSent">Metric values the server did not have yet.</param>
/// <param name="ArtifactsSent">Artifact files uploaded.</param>
public sealed record PushResult(string RemoteRunId, bool CreatedRemoteRun, int ParamsSent, int TagsSent, int MetricsSent, int ArtifactsSent);

/// <summary>
/// A tracking store could not do what was asked. <see cref="IsTransient"/> tells the two cases apart: the server
/// could not be reached or kept failing after every retry (the records may be spooled and pushed later), or it
/// answered with a definite refusal. Messages never hold credentials.
/// </summary>
public sealed class TrackingException : Exception
{
    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public TrackingException(string message, bool isTransient, int? statusCode = null, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>True when the server was unreachable or kept failing through every retry; false for a refusal.</summary>
    public bool IsTransient { get; }

    /// <summary>The HTTP status of the last answer, if there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>MLflow's <c>error_code</c> (for example <c>RESOURCE_DOES_NOT_EXIST</c>), if the server sent one.</summary>
    public string? ErrorCode { get; }
}
