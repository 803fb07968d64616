using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using QForge.Tabular;
using QForge.Training;

namespace QForge;

/// <summary>
/// Marks a <c>partial class</c> deriving from an algorithm's experiment base (such as
/// <see cref="QLearningExperiment{TEnvironment, TSettings}"/>) as a named experiment: the generator registers it so
/// that the host and the CLI can find it by <paramref name="name"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ExperimentAttribute(string name) : Attribute
{
    /// <summary>The experiment's name on the command line and in tracking, e.g. <c>frozen-lake</c>.</summary>
    public string Name { get; } = name;
}

/// <summary>What the host needs to run an experiment without knowing its types.</summary>
public interface IExperiment
{
    /// <summary>The environment's name.</summary>
    string EnvironmentName { get; }

    /// <summary>Every hyperparameter of the experiment's settings.</summary>
    IReadOnlyList<HyperparameterInfo> Hyperparameters { get; }

    /// <summary>The declared sweep space.</summary>
    IReadOnlyList<SweepDimension> SweepSpace { get; }

    /// <summary>Binds and validates the settings from <paramref name="configuration"/> and returns them as logged, without training.</summary>
    /// <exception cref="HyperparameterException">The configuration is invalid.</exception>
    IReadOnlyDictionary<string, string> Resolve(IConfiguration configuration);

    /// <summary>Binds the settings from <paramref name="configuration"/>, trains, evaluates, and saves the model when <paramref name="modelPath"/> is given.</summary>
    /// <exception cref="HyperparameterException">The configuration is invalid.</exception>
    ExperimentResult Train(IConfiguration configuration, ITrainingObserver? observer = null, string? modelPath = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds the settings from <paramref name="configuration"/> and prepares training, from scratch or, when
    /// <paramref name="checkpointPath"/> is given, from a checkpoint (with bit-identical continuation).
    /// </summary>
    /// <exception cref="HyperparameterException">The configuration is invalid.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is corrupt or belongs to other settings.</exception>
    ITrainingSession StartTraining(IConfiguration configuration, string? checkpointPath = null);

    /// <summary>Greedy evaluation of a saved model with the settings bound from <paramref name="configuration"/>.</summary>
    /// <exception cref="InvalidDataException">The model file is corrupt or does not fit the environment.</exception>
    EvaluationResult Evaluate(IConfiguration configuration, string modelPath);
}

/// <summary>One training run in progress, driven by a host: train in chunks, checkpoint, evaluate, save.</summary>
public interface ITrainingSession
{
    /// <summary>The resolved hyperparameters, as logged.</summary>
    IReadOnlyDictionary<string, string> Parameters { get; }

    /// <summary>What <see cref="Episode"/> and <see cref="TargetEpisodes"/> count: "episodes" (tabular) or "steps" (DQN).</summary>
    string Unit { get; }

    /// <summary>Progress so far in <see cref="Unit"/>s (including those before a resume).</summary>
    long Episode { get; }

    /// <summary>The total progress to reach, in <see cref="Unit"/>s.</summary>
    long TargetEpisodes { get; }

    /// <summary>Environment steps so far.</summary>
    long TotalSteps { get; }

    /// <summary>The number of greedy evaluation episodes the settings ask for.</summary>
    int EvaluationEpisodes { get; }

    /// <summary>Trains at most <paramref name="maxEpisodes"/> more episodes, stopping early at an episode boundary on cancellation.</summary>
    TrainingSummary Train(ITrainingObserver? observer, long maxEpisodes, CancellationToken cancellationToken);

    /// <summary>Whether <see cref="WriteCheckpoint"/> writes a checkpoint that training can resume from.</summary>
    bool CanResume { get; }

    /// <summary>
    /// Writes a checkpoint from which training continues exactly (safetensors bytes) to <paramref name="stream"/>; the
    /// caller decides where it goes (the host serialises it in memory and writes the file on a background task).
    /// </summary>
    /// <exception cref="NotSupportedException"><see cref="CanResume"/> is false.</exception>
    void WriteCheckpoint(Stream stream);

    /// <summary>Writes the trained model (a Q-table or network weights) with its metadata.</summary>
    void SaveModel(string path);

    /// <summary>Greedy evaluation of the current model.</summary>
    EvaluationResult Evaluate();
}

/// <summary>
/// What every algorithm's experiment base shares: the settings' generated help, sweep space and binding. The
/// algorithm bases (<see cref="Tabular.QLearningExperiment{TEnvironment, TSettings}"/>,
/// <see cref="Dqn.DqnExperiment{TEnvironment, TSettings}"/>) add training and evaluation.
/// </summary>
/// <typeparam name="TSettings">The hyperparameters.</typeparam>
public abstract class ExperimentBase<TSettings> : IExperiment where TSettings : class, IHyperparameters<TSettings>
{
    /// <inheritdoc/>
    public abstract string EnvironmentName { get; }

    /// <inheritdoc/>
    public IReadOnlyList<HyperparameterInfo> Hyperparameters => TSettings.Describe();

    /// <inheritdoc/>
    public IReadOnlyList<SweepDimension> SweepSpace => TSettings.SweepSpace;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Resolve(IConfiguration configuration) => TSettings.Bind(configuration).ToParameters();

    /// <inheritdoc/>
    public abstract ExperimentResult Train(IConfiguration configuration, ITrainingObserver? observer = null, string? modelPath = null, CancellationToken cancellationToken = default);

    /// <inheritdoc/>
    public abstract ITrainingSession StartTraining(IConfiguration configuration, string? checkpointPath = null);

    /// <inheritdoc/>
    public abstract EvaluationResult Evaluate(IConfiguration configuration, string modelPath);
}

/// <summary>The outcome of <see cref="IExperiment.Train"/>.</summary>
/// <param name="Parameters">The resolved hyperparameters, as logged.</param>
/// <param name="Training">What training did.</param>
/// <param name="Evaluation">The greedy evaluation after training.</param>
public sealed record ExperimentResult(IReadOnlyDictionary<string, string> Parameters, TrainingSummary Training, EvaluationResult Evaluation);

/// <summary>A registered experiment: its name, what it runs, its hyperparameters and how to create it.</summary>
/// <param name="Name">The experiment's name.</param>
/// <param name="Algorithm">The algorithm, e.g. <c>Q-learning</c>.</param>
/// <param name="Environment">The environment's name.</param>
/// <param name="Description">The experiment class's doc summary.</param>
/// <param name="Hyperparameters">Every hyperparameter with its default, range and description.</param>
/// <param name="Create">Creates the experiment.</param>
public sealed record ExperimentDescriptor(string Name, string Algorithm, string Environment, string Description,
    IReadOnlyList<HyperparameterInfo> Hyperparameters, Func<IExperiment> Create);

/// <summary>The experiments of the loaded assemblies, registered by generated module initializers.</summary>
public static class ExperimentRegistry
{
    private static readonly ConcurrentDictionary<string, ExperimentDescriptor> Experiments = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers an experiment (called by generated code).</summary>
    /// <exception cref="InvalidOperationException">Another experiment already has the name.</exception>
    public static void Register(ExperimentDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var existing = Experiments.GetOrAdd(descriptor.Name, descriptor);
        if (!ReferenceEquals(existing, descriptor) && existing != descriptor)
            throw new InvalidOperationException($"Two experiments are named '{descriptor.Name}'; experiment names must be unique across the loaded assemblies.");
    }

    /// <summary>Every registered experiment, ordered by name.</summary>
    public static IReadOnlyList<ExperimentDescriptor> All => [.. Experiments.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];

    /// <summary>Finds an experiment by name (case-insensitive).</summary>
    /// <exception cref="KeyNotFoundException">No experiment has that name; the message lists the known ones.</exception>
    public static ExperimentDescriptor Find(string name) =>
        Experiments.TryGetValue(name, out var descriptor) ? descriptor
        : throw new KeyNotFoundException($"No experiment is named '{name}'. Known experiments: {string.Join(", ", All.Select(d => d.Name))}.");
}
