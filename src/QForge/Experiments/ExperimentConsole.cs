using System.Globalization;
using Microsoft.Extensions.Configuration;
using QForge.Training;

namespace QForge;

/// <summary>
/// A small command line over the registered experiments: <c>list</c> shows every experiment and hyperparameter;
/// <c>train [name] [--Key value ...] [--Out path]</c> trains, evaluates and saves the model. Bad input prints one
/// clear message and exits with code 2.
/// </summary>
public static class ExperimentConsole
{
    /// <summary>The exit code for bad input (unknown experiment, unknown key, invalid value).</summary>
    public const int UsageError = 2;

    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var rest = new List<string>(args);
        string verb = rest.Count > 0 && !rest[0].StartsWith('-') ? Take(rest) : "train";
        try
        {
            switch (verb)
            {
                case "list":
                    List(output);
                    return 0;
                case "train":
                    return Train(rest, output);
                case "help" or "--help" or "-h":
                    output.WriteLine("usage: train [experiment] [--Key value ...] [--Out model.safetensors] | list");
                    return 0;
                default:
                    error.WriteLine($"error: unknown command '{verb}'; use train or list.");
                    return UsageError;
            }
        }
        catch (HyperparameterException e)
        {
            error.WriteLine("error: " + e.Message);
            return UsageError;
        }
        catch (KeyNotFoundException e)
        {
            error.WriteLine("error: " + e.Message);
            return UsageError;
        }
        catch (FormatException e)
        {
            error.WriteLine("error: " + e.Message);
            return UsageError;
        }
    }

    private static int Train(List<string> rest, TextWriter output)
    {
        var all = ExperimentRegistry.All;
        ExperimentDescriptor descriptor = rest.Count > 0 && !rest[0].StartsWith('-') ? ExperimentRegistry.Find(Take(rest))
            : all.Count == 1 ? all[0]
            : throw new KeyNotFoundException($"Name the experiment to train: {string.Join(", ", all.Select(d => d.Name))}.");
        var configuration = new ConfigurationBuilder().AddCommandLine([.. rest]).Build();
        string modelPath = configuration["Out"] ?? $"{descriptor.Name}.qtable.safetensors";
        var hyperparameters = new ConfigurationBuilder()
            .AddInMemoryCollection(configuration.AsEnumerable().Where(p => !string.Equals(p.Key, "Out", StringComparison.OrdinalIgnoreCase)))
            .Build();

        var experiment = descriptor.Create();
        var result = experiment.Train(hyperparameters, new ProgressLines(output), modelPath);
        var e = result.Evaluation;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{descriptor.Name} ({descriptor.Environment}): {result.Training.Episodes} episodes, {result.Training.Steps} steps in {result.Training.Elapsed.TotalSeconds:F2} s"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"greedy evaluation over {e.Episodes} episodes: return {e.MeanReturn:F3} +- {e.StdReturn:F3}, length {e.MeanLength:F1}, success {e.SuccessRate:P1}"));
        output.WriteLine($"model saved to {Path.GetFullPath(modelPath)}");
        return 0;
    }

    private static void List(TextWriter output)
    {
        foreach (var d in ExperimentRegistry.All)
        {
            output.WriteLine($"{d.Name}: {d.Algorithm} on {d.Environment}. {d.Description}");
            foreach (var h in d.Hyperparameters)
            {
                string range = h.Range is null ? "" : $" in {h.Range}";
                string sweep = h.Sweep is null ? "" : $"; sweep {h.Sweep}";
                output.WriteLine($"  --{h.Name} <{h.Type}> (default {h.Default}{range}{sweep})  {h.Description}");
            }
        }
    }

    private static string Take(List<string> rest)
    {
        string first = rest[0];
        rest.RemoveAt(0);
        return first;
    }

    /// <summary>Prints a line at every tenth of training.</summary>
    private sealed class ProgressLines(TextWriter output) : ITrainingObserver
    {
        private double _returns;
        private int _count;

        public void OnEpisodeEnd(in EpisodeReport report)
        {
            _returns += report.Return;
            _count++;
            if ((report.Episode + 1) % 1000 != 0) return;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"episode {report.Episode + 1}: mean return {_returns / _count:F3} (last {_count}), epsilon {report.Epsilon:F3}, {report.StepsPerSecond / 1e6:F1} M steps/s"));
            _returns = 0;
            _count = 0;
        }
    }
}
