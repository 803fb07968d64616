namespace QForge.Training;

/// <summary>No observer: trainers specialised for it build no reports at all.</summary>
internal readonly struct NoObserver : ITrainingObserver
{
    public void OnEpisodeEnd(in EpisodeReport report)
    {
    }
}

/// <summary>An observer object seen through the struct-generic training loop (one interface call per report).</summary>
internal readonly struct ObserverReference(ITrainingObserver observer) : ITrainingObserver
{
    public void OnEpisodeEnd(in EpisodeReport report) => observer.OnEpisodeEnd(report);

    public void OnUpdate(long update, long step, float loss, float meanQ) => observer.OnUpdate(update, step, loss, meanQ);

    public void OnEvaluation(long step, in EvaluationResult result) => observer.OnEvaluation(step, result);
}
