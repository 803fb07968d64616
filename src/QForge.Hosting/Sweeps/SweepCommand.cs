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
    public static async Task<int> RunAsync(QForgeHost.CommandContext context, IReadOnlyList<string> tokens, string? shard, int? parallel, string? sweeps, string? resume)
    {
        var (name, overrides) = QForgeHost.ParseOverrides(tokens);
        using var host = QForgeHost.BuildHost(context, overrides);
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        string sweepsRoot = sweeps ?? configuration[$"{QForgeHost.QForgeSection}:Sweeps"] ?? Path.Combine(".qforge", "sweeps");
        SweepPlan plan;
        ExperimentDescriptor descriptor;
        string? resumedRun = null;
        if (resume is null)
        {
            descriptor = QForgeHost.ResolveExperiment(name, configuration);
            plan = SweepPlan.From(descriptor, descriptor.Create().SweepSpace, configuration.GetSection("Sweep"), configuration.GetSection(QForgeHost.TrainingSection));
        }
        else
        {
            if (overrides.Count > 0)
                throw new UsageException($"--resume continues a sweep exactly as it was specified; drop {string.Join(", ", overrides.Keys.Select(k => "--" + k))} (a changed specification is a new sweep).");
            // The experiment comes from the sweep's specification, so a program with several needs no name here.
            (plan, resumedRun) = LoadForResume(resume, sweepsRoot, RunTracking.OpenTarget(configuration, name ?? "Default")?.Store);
            descriptor = QForgeHost.ResolveExperiment(plan.Experiment, configuration);
        }
        var (shardIndex, shardCount) = ParseShard(shard);
        int workers = parallel ?? (configuration["Sweep:Parallel"] is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : Environment.ProcessorCount);
        if (workers < 1) throw new UsageException($"--parallel = {workers} must be at least 1.");

        var runner = new SweepRunner(descriptor, plan, Path.Combine(sweepsRoot, plan.Id));
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
        var parent = await SweepTracking.StartParentAsync(configuration, descriptor, plan, shardIndex, shardCount, time, resumedRun);
        await runner.RunAsync(mine, workers,
            parent is { } tracking ? trial => SweepTracking.StartChildAsync(tracking.Target, tracking.Run, tracking.SourceTags, plan, trial, time, logger) : null,
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

    /// <summary>
    /// The plan of the sweep <paramref name="resume"/> names: a sweep id (a folder under <paramref name="sweepsRoot"/>)
    /// or the MLflow run id of one of its parent runs in a file store; also that run's id, to reopen it.
    /// </summary>
    private static (SweepPlan Plan, string? ParentRunId) LoadForResume(string resume, string sweepsRoot, ITrackingStore? store)
    {
        string? sweepId = null, parentRunId = null;
        if (File.Exists(Path.Combine(sweepsRoot, resume, "sweep.json")))
        {
            sweepId = resume;
        }
        else if (store is FileStore files && files.ExperimentOf(resume) is { } experiment)
        {
            string tags = Path.Combine(files.RunDirectory(experiment, resume), "tags");
            if (File.Exists(Path.Combine(tags, "qforge.sweep_id")) && !File.Exists(Path.Combine(tags, "mlflow.parentRunId")))
            {
                sweepId = File.ReadAllText(Path.Combine(tags, "qforge.sweep_id")).Trim();
                parentRunId = resume;
            }
        }
        if (sweepId is null)
        {
            var known = Directory.Exists(sweepsRoot) ? Directory.GetDirectories(sweepsRoot).Select(Path.GetFileName).Order().ToList() : [];
            throw new UsageException($"--resume '{resume}' names no sweep in {Path.GetFullPath(sweepsRoot)} and no sweep's parent run in the MLflow store; " +
                (known.Count > 0 ? $"sweeps there: {string.Join(", ", known)}." : "there are no sweeps there (see --sweeps)."));
        }
        string path = Path.Combine(sweepsRoot, sweepId, "sweep.json");
        if (!File.Exists(path))
            throw new UsageException($"--resume '{resume}': the run belongs to sweep {sweepId}, whose folder {Path.GetFullPath(Path.Combine(sweepsRoot, sweepId))} is missing (see --sweeps).");
        try
        {
            return (System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(path), SweepJson.Default.SweepPlan) ?? throw new System.Text.Json.JsonException("null plan"), parentRunId);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"The sweep specification '{Path.GetFullPath(path)}' is corrupt ({e.Message}).", e);
        }
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
