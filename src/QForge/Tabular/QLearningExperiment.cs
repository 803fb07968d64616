using Microsoft.Extensions.Configuration;
using QForge.Training;

namespace QForge.Tabular;

/// <summary>
/// A tabular Q-learning experiment: derive a <c>[Experiment("name")] partial class</c> from it, naming the
/// environment and the settings. Override <see cref="CreateEnvironment"/> when the environment needs configuring.
/// </summary>
/// <typeparam name="TEnvironment">The environment (its trainer view is generated).</typeparam>
/// <typeparam name="TSettings">The hyperparameters (binding and validation are generated).</typeparam>
public abstract class QLearningExperiment<TEnvironment, TSettings> : ExperimentBase<TSettings>
    where TEnvironment : struct, IDiscreteEnvironment<TEnvironment>
    where TSettings : QLearningSettings, IHyperparameters<TSettings>
{
    /// <inheritdoc/>
    public override string EnvironmentName => TEnvironment.Name;

    /// <summary>Creates the environment for a run; the default is <c>default(TEnvironment)</c>.</summary>
    public virtual TEnvironment CreateEnvironment(TSettings settings) => default;

    /// <summary>Trains with <paramref name="settings"/>, evaluates greedily, and saves the Q-table when <paramref name="qTablePath"/> is given.</summary>
    public TabularRunResult Train(TSettings settings, ITrainingObserver? observer = null, string? qTablePath = null, CancellationToken cancellationToken = default) =>
        TabularRun.Execute(settings, CreateEnvironment(settings), observer, qTablePath, cancellationToken);

    /// <summary>Greedy evaluation of a saved or trained <paramref name="table"/> with <paramref name="settings"/>' episode count and seed.</summary>
    public EvaluationResult Evaluate(QTable table, TSettings settings) =>
        QLearningTrainer<TEnvironment>.Evaluate(table, settings.EvaluationEpisodes, settings.Seed, CreateEnvironment(settings));

    /// <inheritdoc/>
    public override ExperimentResult Train(IConfiguration configuration, ITrainingObserver? observer = null, string? modelPath = null, CancellationToken cancellationToken = default)
    {
        TSettings settings = TSettings.Bind(configuration);
        var result = Train(settings, observer, modelPath, cancellationToken);
        return new ExperimentResult(settings.ToParameters(), result.Training, result.Evaluation);
    }

    /// <inheritdoc/>
    public override ITrainingSession StartTraining(IConfiguration configuration, string? checkpointPath = null)
    {
        TSettings settings = TSettings.Bind(configuration);
        var environment = CreateEnvironment(settings);
        var trainer = checkpointPath is null
            ? new QLearningTrainer<TEnvironment>(settings, environment)
            : QLearningTrainer<TEnvironment>.Resume(checkpointPath, settings, environment);
        return new Session(trainer, settings);
    }

    /// <inheritdoc/>
    public override EvaluationResult Evaluate(IConfiguration configuration, string modelPath)
    {
        TSettings settings = TSettings.Bind(configuration);
        var (table, _) = QTableFile.Load(modelPath);
        if (table.StateCount != TEnvironment.StateCount || table.ActionCount != TEnvironment.ActionCount)
            throw new InvalidDataException($"'{modelPath}' holds a {table.StateCount} x {table.ActionCount} Q-table; {TEnvironment.Name} needs {TEnvironment.StateCount} x {TEnvironment.ActionCount}.");
        return Evaluate(table, settings);
    }

    private sealed class Session(QLearningTrainer<TEnvironment> trainer, TSettings settings) : ITrainingSession
    {
        public IReadOnlyDictionary<string, string> Parameters { get; } = settings.ToParameters();
        public string Unit => "episodes";
        public long Episode => trainer.Episode;
        public long TargetEpisodes => settings.Episodes;
        public long TotalSteps => trainer.TotalSteps;
        public int EvaluationEpisodes => settings.EvaluationEpisodes;

        public TrainingSummary Train(ITrainingObserver? observer, long maxEpisodes, CancellationToken cancellationToken) =>
            trainer.Train(observer, Math.Min(maxEpisodes, Math.Max(0, TargetEpisodes - Episode)), cancellationToken);

        public bool CanResume => true;

        public void WriteCheckpoint(Stream stream) => trainer.WriteCheckpoint(stream);

        public void SaveModel(string path) => QTableFile.Save(trainer.Table, path, new Dictionary<string, string>
        {
            ["environment"] = TEnvironment.Name,
            ["episodes"] = trainer.Episode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["parameters"] = System.Text.Json.JsonSerializer.Serialize(Parameters),
        });

        public EvaluationResult Evaluate() => trainer.Evaluate(settings.EvaluationEpisodes, settings.Seed);
    }
}
