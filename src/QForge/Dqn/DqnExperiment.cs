using Microsoft.Extensions.Configuration;
using QForge.Serialization;
using QForge.Training;

namespace QForge.Dqn;

/// <summary>
/// A DQN experiment: derive a <c>[Experiment("name")] partial class</c> from it, naming the environment and the
/// settings. Override <see cref="CreateEnvironment"/> when the environment needs configuring.
/// </summary>
public abstract class DqnExperiment<TEnvironment, TSettings> : ExperimentBase<TSettings>
    where TEnvironment : struct, IFeatureEnvironment<TEnvironment>
    where TSettings : DqnSettings, IHyperparameters<TSettings>
{
    /// <inheritdoc/>
    public override string EnvironmentName => TEnvironment.Name;

    /// <summary>Creates environment copy <paramref name="index"/> for a run; the default is <c>default(TEnvironment)</c>.</summary>
    public virtual TEnvironment CreateEnvironment(TSettings settings, int index) => default;

    /// <summary>Trains with <paramref name="settings"/> and evaluates greedily.</summary>
    public (DqnTrainer<TEnvironment> Trainer, TrainingSummary Training, EvaluationResult Evaluation) Train(TSettings settings, ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var trainer = new DqnTrainer<TEnvironment>(settings, i => CreateEnvironment(settings, i));
        var training = trainer.Train(observer, cancellationToken: cancellationToken);
        return (trainer, training, trainer.Evaluate(settings.EvaluationEpisodes, settings.Seed, CreateEnvironment(settings, 0)));
    }

    /// <inheritdoc/>
    public override ExperimentResult Train(IConfiguration configuration, ITrainingObserver? observer = null, string? modelPath = null, CancellationToken cancellationToken = default)
    {
        var settings = TSettings.Bind(configuration);
        var (trainer, training, evaluation) = Train(settings, observer, cancellationToken);
        if (modelPath is not null) trainer.SaveModel(modelPath);
        return new ExperimentResult(settings.ToParameters(), training, evaluation);
    }

    /// <inheritdoc/>
    public override ITrainingSession StartTraining(IConfiguration configuration, string? checkpointPath = null)
    {
        var settings = TSettings.Bind(configuration);
        var trainer = checkpointPath is null
            ? new DqnTrainer<TEnvironment>(settings, i => CreateEnvironment(settings, i))
            : DqnTrainer<TEnvironment>.Resume(checkpointPath, settings, i => CreateEnvironment(settings, i));
        return new Session(trainer, settings, CreateEnvironment(settings, 0));
    }

    /// <inheritdoc/>
    public override EvaluationResult Evaluate(IConfiguration configuration, string modelPath)
    {
        var settings = TSettings.Bind(configuration);
        var trainer = new DqnTrainer<TEnvironment>(settings, i => CreateEnvironment(settings, i));
        trainer.Online.LoadTensors(SafeTensors.Load(modelPath).Tensors, modelPath);
        return trainer.Evaluate(settings.EvaluationEpisodes, settings.Seed, CreateEnvironment(settings, 0));
    }

    /// <summary>A DQN run driven by the host; progress is counted in environment steps.</summary>
    private sealed class Session(DqnTrainer<TEnvironment> trainer, TSettings settings, TEnvironment evaluationEnvironment) : ITrainingSession
    {
        public IReadOnlyDictionary<string, string> Parameters { get; } = settings.ToParameters();
        public string Unit => "steps";
        public long Episode => trainer.Step;
        public long TargetEpisodes => settings.TotalSteps;
        public long TotalSteps => trainer.Step;
        public int EvaluationEpisodes => settings.EvaluationEpisodes;

        public TrainingSummary Train(ITrainingObserver? observer, long maxEpisodes, CancellationToken cancellationToken) =>
            trainer.Train(observer, maxEpisodes, cancellationToken);

        public bool CanResume => DqnTrainer<TEnvironment>.CanCheckpoint;

        public void WriteCheckpoint(Stream stream) => trainer.WriteCheckpoint(stream);

        public void SaveModel(string path) => trainer.SaveModel(path);

        public EvaluationResult Evaluate() => trainer.Evaluate(settings.EvaluationEpisodes, settings.Seed, evaluationEnvironment);
    }
}
