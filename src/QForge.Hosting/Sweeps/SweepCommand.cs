using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QForge.Tracking;

namespace QForge.Hosting.Sweeps;

/// <summary>
/// Runs a sweep: the plan's trials (or this shard's share) in parallel, each over several seeds, skipping trials already
/// recorded in the sweep's folder (so rerunning the same command resumes it); then a ranked table and trials.csv.
/// </summary>
internal static class SweepCommand
{
    public static async Task<int> RunAsync(QForgeHost.CommandContext context, IReadOnlyList<string> tokens, string? shard, int? parallel, string? sweeps)
    {
        var (name, overrides) = QForgeHost.ParseOverrides(tokens);
        using var host = QForgeHost.BuildHost(context, overrides);
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        var descriptor = QForgeHost.ResolveExperiment(name, configuration);
        var experiment = descriptor.Create();
        var plan = SweepPlan.From(descriptor, experiment.SweepSpace, configuration.GetSection("Sweep"), configuration.GetSection(QForgeHost.TrainingSection));
        var (shardIndex, shardCount) = ParseShard(shard);
        int workers = parallel ?? (configuration["Sweep:Parallel"] is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : Environment.ProcessorCount);
        if (workers < 1) throw new UsageException($"--parallel = {workers} must be at least 1.");

        var runner = new SweepRunner(descriptor, plan,
            Path.Combine(sweeps ?? configuration[$"{QForgeHost.QForgeSection}:Sweeps"] ?? Path.Combine(".qforge", "sweeps"), plan.Id));
        runner.Validate();
        string folder = runner.Folder;
        var mine = runner.ShardIndices(shardIndex, shardCount);
        int done = runner.LoadResults().Count(r => r.Index % shardCount == shardIndex);
        string stopping = plan.EarlyStopping is { } rule ? $", early stopping ASHA (eta {rule.ReductionFactor}, {rule.Rungs} rungs)" : "";
        await context.Output.WriteLineAsync($"sweep {plan.Id}: {plan.TrialCount} trials x {plan.Seeds.Count} seeds, {plan.Strategy.ToString().ToLowerInvariant()}{stopping}; " +
            $"shard {shardIndex}/{shardCount}: {mine.Count} trials, {done} already done; {workers} in parallel");

        using var signals = new QForgeHost.SignalWatch();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QForge.Sweep");
        var time = host.Services.GetRequiredService<TimeProvider>();
        var parent = await SweepTracking.StartParentAsync(configuration, descriptor, plan, shardIndex, shardCount, time);
        await runner.RunAsync(mine, workers,
            parent is { } tracking ? trial => SweepTracking.StartChildAsync(tracking.Target, tracking.Run, descriptor, plan, trial, time, logger) : null,
            signals.Token);

        var results = runner.LoadResults();
        WriteCsv(Path.Combine(folder, "trials.csv"), plan, results);
        await WriteTableAsync(context.Output, plan, results);
        await context.Output.WriteLineAsync($"trials: {Path.GetFullPath(Path.Combine(folder, "trials.csv"))}");
        if (parent is { } tracked)
        {
            var best = SweepRunner.Ranked(plan, results).FirstOrDefault(r => r.Status == RunStatus.Finished);
            if (best is not null)
            {
                tracked.Run.SetTag("qforge.best_trial", best.Index.ToString(CultureInfo.InvariantCulture));
                tracked.Run.SetTag("qforge.best_params", string.Join(", ", best.Values.Select(v => $"{v.Key}={v.Value}")));
                tracked.Run.LogMetric($"best_{plan.Objective}", best.Mean, 0);
            }
            tracked.Run.LogArtifact(Path.Combine(folder, "trials.csv"), "trials.csv");
            tracked.Run.LogArtifact(Path.Combine(folder, "sweep.json"), "sweep.json");
            foreach (string problem in await tracked.Run.EndAsync(signals.Signal is null ? RunState.Finished : RunState.Killed))
                logger.LogWarning("MLflow sweep run: {Problem}", problem);
            await context.Output.WriteLineAsync($"mlflow: parent run {tracked.Run.RunId} in experiment {tracked.Run.ExperimentId}");
        }
        if (signals.Signal is not null)
        {
            await context.Output.WriteLineAsync($"stopped by {signals.Signal}; run the same command again to finish the remaining trials");
            return signals.ExitCode;
        }
        return ExitCodes.Success;
    }

    private static (int Index, int Count) ParseShard(string? shard)
    {
        if (shard is null) return (0, 1);
        string[] parts = shard.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count) || count < 1 || index < 0 || index >= count)
            throw new UsageException($"--shard = '{shard}' must be i/N with 0 <= i < N, e.g. 0/4 (a Slurm array or a Kubernetes indexed Job gives i).");
        return (index, count);
    }

    private static void WriteCsv(string path, SweepPlan plan, IReadOnlyList<TrialResult> results)
    {
        var names = plan.Dimensions.Select(d => d.Name).ToList();
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', ["trial", .. names, "status", $"{plan.Objective}_mean", $"{plan.Objective}_std", $"{plan.Objective}_min", "seconds", "stopped", "error"]));
        foreach (var r in results.OrderBy(r => r.Index))
        {
            text.AppendLine(string.Join(',', [r.Index.ToString(CultureInfo.InvariantCulture), .. names.Select(n => r.Values[n]), r.Status.ToString().ToUpperInvariant(),
                F(r.Mean), F(r.Std), F(r.Min), F(r.Seconds), Quote(r.StoppedReason ?? ""), Quote(r.Error ?? "")]));
        }
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task WriteTableAsync(TextWriter output, SweepPlan plan, IReadOnlyList<TrialResult> results)
    {
        var names = plan.Dimensions.Select(d => d.Name).ToList();
        string[] header = ["rank", "trial", .. names, $"{plan.Objective} mean", "std", "min", "status"];
        var rows = SweepRunner.Ranked(plan, results).Select((r, i) => (string[])[(i + 1).ToString(CultureInfo.InvariantCulture), r.Index.ToString(CultureInfo.InvariantCulture),
            .. names.Select(n => r.Values[n]), F(r.Mean), F(r.Std), F(r.Min), Status(r)]).ToList();
        int[] widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(row => row[c].Length))).ToArray();
        await output.WriteLineAsync(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))));
        foreach (var row in rows) await output.WriteLineAsync(string.Join("  ", row.Select((v, c) => v.PadRight(widths[c]))));
        if (SweepRunner.Ranked(plan, results).FirstOrDefault(r => r.Status == RunStatus.Finished) is { } best)
            await output.WriteLineAsync($"best: trial {best.Index} ({string.Join(", ", best.Values.Select(p => $"{p.Key}={p.Value}"))}) {plan.Objective} {F(best.Mean)}");
    }

    /// <summary>FINISHED, FAILED, or KILLED with the rung early stopping ended the trial at.</summary>
    private static string Status(TrialResult result) =>
        result.Status == RunStatus.Killed && result.Rungs is [.., var last] ? $"KILLED at {last.Budget}" : result.Status.ToString().ToUpperInvariant();

    private static string F(double value) => double.IsNaN(value) ? "" : value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Quote(string text) => text.Length == 0 ? "" : "\"" + text.Replace("\"", "\"\"") + "\"";
}
