using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace QForge.Hosting;

/// <summary>Greedy evaluation of a saved model, given as a file or as a run.</summary>
internal static class EvaluateCommand
{
    public static async Task<int> RunAsync(QForgeHost.CommandContext context, IReadOnlyList<string> tokens, string? model, string? run, string? runs)
    {
        var (name, overrides) = QForgeHost.ParseOverrides(tokens);
        using var host = QForgeHost.BuildHost(context, overrides);
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        if ((model is null) == (run is null))
            throw new UsageException("Give exactly one of --model FILE or --run ID.");

        IConfiguration settings = configuration.GetSection(QForgeHost.TrainingSection);
        ExperimentDescriptor descriptor;
        if (run is not null)
        {
            var folder = RunFolder.Open(runs ?? configuration[$"{QForgeHost.QForgeSection}:Runs"] ?? Path.Combine(".qforge", "runs"), run);
            descriptor = ExperimentRegistry.Find(folder.Record.Experiment);
            model = File.Exists(folder.ModelPath) ? folder.ModelPath
                : throw new UsageException($"Run {run} has no model yet (status {folder.Record.Status}); resume it first with: train --resume {run}");
            settings = new ConfigurationBuilder()
                .AddInMemoryCollection(folder.Record.Configuration.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
                .AddInMemoryCollection(settings.AsEnumerable(makePathsRelative: true))
                .Build();
        }
        else
        {
            descriptor = QForgeHost.ResolveExperiment(name, configuration);
            if (!File.Exists(model))
                throw new UsageException($"No model file at {Path.GetFullPath(model!)}.");
        }

        var evaluation = descriptor.Create().Evaluate(settings, model!);
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{descriptor.Name} ({descriptor.Environment}), {Path.GetFileName(model)}: greedy return {evaluation.MeanReturn:F3} +- {evaluation.StdReturn:F3} over {evaluation.Episodes} episodes, length {evaluation.MeanLength:F1}, success {evaluation.SuccessRate:P1}"));
        return ExitCodes.Success;
    }
}
