using System.Globalization;
using QForge.Training;

namespace QForge.Tabular;

/// <summary>The outcome of <see cref="TabularRun.Execute{TEnv}"/>: the trained table, the training summary and the greedy evaluation.</summary>
/// <param name="Table">The learned Q-table.</param>
/// <param name="Training">What training did.</param>
/// <param name="Evaluation">Greedy evaluation after training.</param>
public sealed record TabularRunResult(QTable Table, TrainingSummary Training, EvaluationResult Evaluation)
{
    /// <summary>A two-line human-readable summary of the run.</summary>
    public string Describe(string environmentName) => string.Create(CultureInfo.InvariantCulture,
        $"{environmentName}: trained {Training.Episodes} episodes, {Training.Steps} steps in {Training.Elapsed.TotalSeconds:F2} s ({Training.StepsPerSecond / 1e6:F1} M steps/s)\n" +
        $"greedy evaluation over {Evaluation.Episodes} episodes: return {Evaluation.MeanReturn:F3} +- {Evaluation.StdReturn:F3}, length {Evaluation.MeanLength:F1}, success rate {Evaluation.SuccessRate:P1}");
}

/// <summary>Train, evaluate and save: one complete tabular run, as the experiments' entry points perform it.</summary>
public static class TabularRun
{
    /// <summary>
    /// Trains <typeparamref name="TEnv"/> with <paramref name="settings"/>, evaluates the greedy policy over
    /// <see cref="QLearningSettings.EvaluationEpisodes"/> episodes and, when <paramref name="qTablePath"/> is given,
    /// saves the table there with the settings as metadata.
    /// </summary>
    public static TabularRunResult Execute<TEnv>(QLearningSettings settings, TEnv environment = default, ITrainingObserver? observer = null,
        string? qTablePath = null, CancellationToken cancellationToken = default)
        where TEnv : struct, IDiscreteEnvironment<TEnv>
    {
        var trainer = new QLearningTrainer<TEnv>(settings, environment);
        TrainingSummary training = trainer.Train(observer, cancellationToken: cancellationToken);
        EvaluationResult evaluation = trainer.Evaluate(settings.EvaluationEpisodes, settings.Seed);
        if (qTablePath is not null)
        {
            QTableFile.Save(trainer.Table, qTablePath, new Dictionary<string, string>
            {
                ["environment"] = TEnv.Name,
                ["episodes"] = trainer.Episode.ToString(CultureInfo.InvariantCulture),
                ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
                ["settings"] = settings.ToString(),
            });
        }
        return new TabularRunResult(trainer.Table, training, evaluation);
    }
}
