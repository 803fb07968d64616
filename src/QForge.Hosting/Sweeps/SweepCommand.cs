using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QForge.Tracking;

namespace QForge.Hosting.Sweeps;

/// <summary>The outcome of one trial, over all its seeds.</summary>
/// <param name="Index">The trial's index in the plan.</param>
/// <param name="Values">The swept values.</param>
/// <param name="Status">Finished or Failed (killed trials are not recorded and rerun).</param>
/// <param name="Mean">The objective's mean over the seeds.</param>
/// <param name="Std">Its population standard deviation.</param>
/// <param name="Min">Its minimum.</param>
/// <param name="PerSeed">The objective of each seed.</param>
/// <param name="Seconds">Wall time of the trial.</param>
/// <param name="Error">Why it failed.</param>
public sealed record TrialResult(int Index, IReadOnlyDictionary<string, string> Values, RunStatus Status, double Mean, double Std, double Min,
    IReadOnlyList<double> PerSeed, double Seconds, string? Error);

/// <summary>
/// Runs a sweep: the plan's trials (or this shard's share) in parallel, each over several seeds, skipping trials already
/// recorded in the sweep's folder (so rerunning the same command resumes it); then a ranked table and trials.csv.
/// </summary>
internal static class SweepCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

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

        var trials = plan.Trials();
        // Bind every trial before running any, so a value the settings refuse is reported up front.
        foreach (var trial in trials) experiment.Resolve(TrialConfiguration(plan, trial, plan.Seeds[0]));

        string folder = Path.Combine(sweeps ?? configuration[$"{QForgeHost.QForgeSection}:Sweeps"] ?? Path.Combine(".qforge", "sweeps"), plan.Id);
        Directory.CreateDirectory(Path.Combine(folder, "trials"));
        File.WriteAllText(Path.Combine(folder, "sweep.json"), JsonSerializer.Serialize(plan, Json));
        var mine = trials.Where(t => t.Index % shardCount == shardIndex).ToList();
        var done = mine.Where(t => File.Exists(TrialPath(folder, t.Index))).Select(t => t.Index).ToHashSet();
        await context.Output.WriteLineAsync($"sweep {plan.Id}: {trials.Count} trials x {plan.Seeds.Count} seeds, {plan.Strategy.ToString().ToLowerInvariant()}; " +
            $"shard {shardIndex}/{shardCount}: {mine.Count} trials, {done.Count} already done; {workers} in parallel");

        using var signals = new QForgeHost.SignalWatch();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QForge.Sweep");
        var time = host.Services.GetRequiredService<TimeProvider>();
        var parent = StartParent(configuration, descriptor, plan, folder, shardIndex, shardCount, time);
        await Parallel.ForEachAsync(mine.Where(t => !done.Contains(t.Index)),
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = CancellationToken.None },
            async (trial, _) =>
            {
                if (signals.Token.IsCancellationRequested) return;
                var result = RunTrial(descriptor, plan, trial, signals.Token);
                if (result is not null) Save(folder, result);
                if (parent is { } p) await LogChildAsync(p.Store, p.Run, p.ExperimentName, plan, trial, result, time, logger);
            });

        var results = trials.Where(t => File.Exists(TrialPath(folder, t.Index)))
            .Select(t => JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(TrialPath(folder, t.Index)))!).ToList();
        WriteCsv(Path.Combine(folder, "trials.csv"), plan, results);
        await WriteTableAsync(context.Output, plan, results);
        await context.Output.WriteLineAsync($"trials: {Path.GetFullPath(Path.Combine(folder, "trials.csv"))}");
        if (parent is { } tracked)
        {
            var best = Ranked(plan, results).FirstOrDefault(r => r.Status == RunStatus.Finished);
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

    /// <summary>The sweep's parent MLflow run (one per shard), or null when tracking is off.</summary>
    private static (FileStore Store, TrackedRun Run, string ExperimentName)? StartParent(IConfiguration configuration, ExperimentDescriptor descriptor, SweepPlan plan, string folder,
        int shardIndex, int shardCount, TimeProvider time)
    {
        if (string.Equals(configuration[$"{QForgeHost.QForgeSection}:Tracking"], "false", StringComparison.OrdinalIgnoreCase)) return null;
        FileStore store;
        try { store = FileStore.FromEnvironment(configuration["MLFLOW_TRACKING_URI"]); }
        catch (NotSupportedException) { store = new FileStore("mlruns"); } // sweeps log to the file store; push it to a server afterwards
        string experimentName = configuration["MLFLOW_EXPERIMENT_NAME"] ?? descriptor.Name;
        var run = TrackedRun.Start(store, experimentName, $"sweep-{plan.Id}-{shardIndex}of{shardCount}",
            new Dictionary<string, string>
            {
                ["qforge.sweep_id"] = plan.Id,
                ["qforge.shard"] = $"{shardIndex}/{shardCount}",
                ["qforge.experiment"] = descriptor.Name,
                ["mlflow.user"] = Environment.UserName,
                ["mlflow.source.type"] = "LOCAL",
                ["mlflow.note.content"] = $"Sweep of {descriptor.Name}: {plan.Strategy.ToString().ToLowerInvariant()} over {string.Join(", ", plan.Dimensions.Select(d => d.Name))}, objective {plan.Objective} ({(plan.Maximize ? "maximize" : "minimize")}), seeds {string.Join(",", plan.Seeds)}.",
            }, time);
        run.LogParams(new Dictionary<string, string>
        {
            ["sweep_strategy"] = plan.Strategy.ToString().ToLowerInvariant(),
            ["sweep_objective"] = plan.Objective,
            ["sweep_direction"] = plan.Maximize ? "maximize" : "minimize",
            ["sweep_seeds"] = string.Join(",", plan.Seeds),
            ["sweep_space"] = string.Join("; ", plan.Dimensions.Select(d => d.Kind == SweepKind.Values ? $"{d.Name}={string.Join(",", d.Values)}"
                : string.Create(CultureInfo.InvariantCulture, $"{d.Name}={(d.Kind == SweepKind.LogRange ? "log:" : "")}{d.Min}..{d.Max}:{d.Steps}"))),
        });
        return (store, run, experimentName);
    }

    /// <summary>One child run per trial, nested under the sweep's run with mlflow.parentRunId.</summary>
    private static async Task LogChildAsync(FileStore store, TrackedRun parent, string experimentName, SweepPlan plan, Trial trial, TrialResult? result, TimeProvider time, ILogger logger)
    {
        var child = TrackedRun.Start(store, experimentName, $"trial-{trial.Index}",
            new Dictionary<string, string> { ["mlflow.parentRunId"] = parent.RunId, ["qforge.trial"] = trial.Index.ToString(CultureInfo.InvariantCulture) }, time);
        var parameters = new Dictionary<string, string>(plan.BaseSettings);
        foreach (var (key, value) in trial.Values) parameters[key] = value;
        parameters["Seeds"] = string.Join(",", plan.Seeds);
        child.LogParams(parameters);
        var state = RunState.Killed;
        if (result is not null)
        {
            for (int i = 0; i < result.PerSeed.Count; i++) child.LogMetric(plan.Objective, result.PerSeed[i], i);
            if (result.Status == RunStatus.Finished)
            {
                child.LogMetric($"{plan.Objective}_mean", result.Mean, 0);
                child.LogMetric($"{plan.Objective}_std", result.Std, 0);
                child.LogMetric($"{plan.Objective}_min", result.Min, 0);
                state = RunState.Finished;
            }
            else
            {
                child.SetTag("qforge.error", result.Error ?? "");
                state = RunState.Failed;
            }
        }
        else
        {
            child.SetTag("qforge.stopped", "the sweep was interrupted; rerun the same command to finish this trial");
        }
        foreach (string problem in await child.EndAsync(state))
            logger.LogWarning("MLflow trial run {Trial}: {Problem}", trial.Index, problem);
    }

    /// <summary>Runs a trial over every seed; null when cancelled (it will run again on resume).</summary>
    private static TrialResult? RunTrial(ExperimentDescriptor descriptor, SweepPlan plan, Trial trial, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var objectives = new List<double>();
        try
        {
            foreach (long seed in plan.Seeds)
            {
                var result = descriptor.Create().Train(TrialConfiguration(plan, trial, seed), cancellationToken: cancellationToken);
                if (result.Training.Cancelled) return null;
                objectives.Add(plan.Objective == "success" ? result.Evaluation.SuccessRate : result.Evaluation.MeanReturn);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TrialResult(trial.Index, trial.Values, RunStatus.Failed, double.NaN, double.NaN, double.NaN, objectives, watch.Elapsed.TotalSeconds, e.Message);
        }
        double mean = objectives.Average();
        double std = Math.Sqrt(objectives.Sum(o => (o - mean) * (o - mean)) / objectives.Count);
        return new TrialResult(trial.Index, trial.Values, RunStatus.Finished, mean, std, objectives.Min(), objectives, watch.Elapsed.TotalSeconds, null);
    }

    internal static IConfiguration TrialConfiguration(SweepPlan plan, Trial trial, long seed) => new ConfigurationBuilder()
        .AddInMemoryCollection(plan.BaseSettings.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
        .AddInMemoryCollection(trial.Values.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
        .AddInMemoryCollection([new KeyValuePair<string, string?>("Seed", seed.ToString(CultureInfo.InvariantCulture))])
        .Build();

    private static (int Index, int Count) ParseShard(string? shard)
    {
        if (shard is null) return (0, 1);
        string[] parts = shard.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count) || count < 1 || index < 0 || index >= count)
            throw new UsageException($"--shard = '{shard}' must be i/N with 0 <= i < N, e.g. 0/4 (a Slurm array or a Kubernetes indexed Job gives i).");
        return (index, count);
    }

    private static string TrialPath(string folder, int index) => Path.Combine(folder, "trials", $"{index:D6}.json");

    private static void Save(string folder, TrialResult result)
    {
        string path = TrialPath(folder, result.Index);
        string temporary = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(result, Json));
        File.Move(temporary, path, overwrite: true);
    }

    private static IEnumerable<TrialResult> Ranked(SweepPlan plan, IEnumerable<TrialResult> results)
    {
        var finished = results.Where(r => r.Status == RunStatus.Finished);
        return (plan.Maximize ? finished.OrderByDescending(r => r.Mean) : finished.OrderBy(r => r.Mean)).ThenBy(r => r.Index)
            .Concat(results.Where(r => r.Status != RunStatus.Finished).OrderBy(r => r.Index));
    }

    private static void WriteCsv(string path, SweepPlan plan, IReadOnlyList<TrialResult> results)
    {
        var names = plan.Dimensions.Select(d => d.Name).ToList();
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', ["trial", .. names, "status", $"{plan.Objective}_mean", $"{plan.Objective}_std", $"{plan.Objective}_min", "seconds", "error"]));
        foreach (var r in results.OrderBy(r => r.Index))
        {
            text.AppendLine(string.Join(',', [r.Index.ToString(CultureInfo.InvariantCulture), .. names.Select(n => r.Values[n]), r.Status.ToString().ToUpperInvariant(),
                F(r.Mean), F(r.Std), F(r.Min), F(r.Seconds), Quote(r.Error ?? "")]));
        }
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task WriteTableAsync(TextWriter output, SweepPlan plan, IReadOnlyList<TrialResult> results)
    {
        var names = plan.Dimensions.Select(d => d.Name).ToList();
        string[] header = ["rank", "trial", .. names, $"{plan.Objective} mean", "std", "min", "status"];
        var rows = Ranked(plan, results).Select((r, i) => (string[])[(i + 1).ToString(CultureInfo.InvariantCulture), r.Index.ToString(CultureInfo.InvariantCulture),
            .. names.Select(n => r.Values[n]), F(r.Mean), F(r.Std), F(r.Min), r.Status.ToString().ToUpperInvariant()]).ToList();
        int[] widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(row => row[c].Length))).ToArray();
        await output.WriteLineAsync(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))));
        foreach (var row in rows) await output.WriteLineAsync(string.Join("  ", row.Select((v, c) => v.PadRight(widths[c]))));
        if (Ranked(plan, results).FirstOrDefault(r => r.Status == RunStatus.Finished) is { } best)
            await output.WriteLineAsync($"best: trial {best.Index} ({string.Join(", ", best.Values.Select(p => $"{p.Key}={p.Value}"))}) {plan.Objective} {F(best.Mean)}");
    }

    private static string F(double value) => double.IsNaN(value) ? "" : value.ToString("0.####", CultureInfo.InvariantCulture);

    private static string Quote(string text) => text.Length == 0 ? "" : "\"" + text.Replace("\"", "\"\"") + "\"";
}
