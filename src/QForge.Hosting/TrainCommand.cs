using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using QForge.Tracking;
using QForge.Training;
using Spectre.Console;

namespace QForge.Hosting;

/// <summary>The options of the train verb.</summary>
/// <param name="Resume">The run to resume.</param>
/// <param name="Seeds">Comma-separated seeds, one run each.</param>
/// <param name="CheckpointEvery">Episodes between checkpoints.</param>
/// <param name="Runs">The folder of run state.</param>
internal sealed record TrainOptions(string? Resume, string? Seeds, int? CheckpointEvery, string? Runs);

/// <summary>
/// Trains: one run per seed; checkpoints every N episodes and on SIGINT/SIGTERM (then exits 130/143 with the run
/// KILLED); a resumed run continues bit-identically; progress live on a terminal, as log lines otherwise.
/// </summary>
internal static class TrainCommand
{
    public const int DefaultCheckpointEvery = 1000;

    public static async Task<int> RunAsync(QForgeHost.CommandContext context, IReadOnlyList<string> tokens, TrainOptions options)
    {
        var (name, overrides) = QForgeHost.ParseOverrides(tokens);
        using var host = QForgeHost.BuildHost(context, overrides);
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QForge");
        var time = host.Services.GetRequiredService<TimeProvider>();
        string runsRoot = options.Runs ?? configuration[$"{QForgeHost.QForgeSection}:Runs"] ?? Path.Combine(".qforge", "runs");
        int checkpointEvery = options.CheckpointEvery ?? ReadInt(configuration, $"{QForgeHost.QForgeSection}:CheckpointEvery") ?? DefaultCheckpointEvery;
        if (checkpointEvery < 1)
            throw new UsageException($"--checkpoint-every = {checkpointEvery} must be at least 1 episode.");

        if (options.Resume is { } runId)
        {
            if (options.Seeds is not null) throw new UsageException("--resume continues one run; it cannot be combined with --Seeds.");
            var folder = RunFolder.Open(runsRoot, runId);
            if (name is not null && !string.Equals(name, folder.Record.Experiment, StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"Run {runId} belongs to experiment '{folder.Record.Experiment}', not '{name}'.");
            var descriptor = ExperimentRegistry.Find(folder.Record.Experiment);
            // The run's own settings, with command-line overrides on top (only Episodes may change; the checkpoint checks).
            var section = new ConfigurationBuilder()
                .AddInMemoryCollection(folder.Record.Configuration.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
                .AddInMemoryCollection(overrides.Where(p => p.Key.StartsWith(QForgeHost.TrainingSection + ":", StringComparison.OrdinalIgnoreCase))
                    .Select(p => new KeyValuePair<string, string?>(p.Key[(QForgeHost.TrainingSection.Length + 1)..], p.Value)))
                .Build();
            var experiment = descriptor.Create();
            var session = experiment.StartTraining(section, File.Exists(folder.CheckpointPath) ? folder.CheckpointPath : null);
            folder.SetStatus(RunStatus.Running, time);
            Log.RunResumed(logger, runId, descriptor.Name, Singular(session.Unit), session.Episode, session.TargetEpisodes);
            return (await TrainRunAsync(context, configuration, logger, time, descriptor, session, folder, checkpointEvery)).Code;
        }

        var experimentDescriptor = QForgeHost.ResolveExperiment(name, configuration);
        var training = configuration.GetSection(QForgeHost.TrainingSection);
        IReadOnlyList<long?> seeds = options.Seeds is null ? [null] : ParseSeeds(options.Seeds);
        if (seeds.Count > 1 && !string.IsNullOrWhiteSpace(configuration[TrackingUri.RunIdVariable]))
            throw new UsageException($"{TrackingUri.RunIdVariable} names one MLflow run, and --Seeds {options.Seeds} makes {seeds.Count} runs: unset it, or train one seed at a time.");
        // Bind every seed's settings before the first run starts, so a mistake is reported before any work is done.
        var sessions = seeds.Select(seed => experimentDescriptor.Create().StartTraining(WithSeed(training, seed))).ToList();
        var results = new List<(string RunId, string Seed, EvaluationResult? Evaluation)>();
        foreach (var session in sessions)
        {
            var folder = RunFolder.Create(runsRoot, experimentDescriptor.Name, session.Parameters, time);
            Log.RunStarted(logger, folder.Record.RunId, experimentDescriptor.Name, experimentDescriptor.Environment, session.TargetEpisodes, session.Unit, session.Parameters.GetValueOrDefault("Seed", "?"));
            var (code, evaluation) = await TrainRunAsync(context, configuration, logger, time, experimentDescriptor, session, folder, checkpointEvery);
            if (code != ExitCodes.Success) return code;
            results.Add((folder.Record.RunId, session.Parameters.GetValueOrDefault("Seed", "?"), evaluation));
        }
        if (results.Count > 1)
        {
            var returns = results.Select(r => r.Evaluation!.Value.MeanReturn).ToArray();
            double mean = returns.Average();
            double std = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / returns.Length);
            await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{results.Count} seeds: greedy return mean {mean:F3}, std {std:F3}, min {returns.Min():F3}"));
        }
        return ExitCodes.Success;
    }

    private static async Task<(int Code, EvaluationResult? Evaluation)> TrainRunAsync(QForgeHost.CommandContext context, IConfiguration configuration, ILogger logger,
        TimeProvider time, ExperimentDescriptor descriptor, ITrainingSession session, RunFolder folder, int checkpointEvery)
    {
        using var signals = new QForgeHost.SignalWatch();
        var progress = new TrainingProgress(session.TargetEpisodes, session.Episode, countSteps: session.Unit == "steps");
        var tracking = await RunTracking.StartAsync(configuration, descriptor, session, folder, time, logger);
        ITrainingObserver observer = tracking is null ? progress : new CompositeObserver(progress, tracking);
        bool interactive = IsInteractive(context);
        // On a terminal the live table shows progress; log lines would tear it.
        string unit = Singular(session.Unit);
        var checkpoints = new CheckpointWriter(folder.CheckpointPath, unit, logger, logWrites: !interactive);
        var training = Task.Factory.StartNew(() =>
        {
            while (session.Episode < session.TargetEpisodes && !signals.Token.IsCancellationRequested)
            {
                session.Train(observer, checkpointEvery - session.Episode % checkpointEvery, signals.Token);
                if (session.CanResume) checkpoints.Save(session);
            }
            checkpoints.Complete();
        }, TaskCreationOptions.LongRunning);

        await ShowProgressAsync(interactive, logger, progress, training);
        try
        {
            await training;
        }
        catch (Exception e)
        {
            folder.SetStatus(RunStatus.Failed, time);
            if (tracking is not null) await tracking.EndAsync(Tracking.RunState.Failed);
            Log.RunFailed(logger, e, folder.Record.RunId);
            await context.Output.WriteLineAsync($"error: run {folder.Record.RunId} failed: {e.Message}");
            return (ExitCodes.Failure, null);
        }

        if (signals.Signal is { } signal)
        {
            folder.SetStatus(RunStatus.Killed, time);
            if (tracking is not null) await tracking.EndAsync(Tracking.RunState.Killed);
            Log.RunStopped(logger, folder.Record.RunId, signal.ToString(), unit, session.Episode);
            await context.Output.WriteLineAsync(session.CanResume
                ? $"stopped by {signal} at {unit} {session.Episode}; resume with: train --resume {folder.Record.RunId}"
                : $"stopped by {signal} at {unit} {session.Episode}; this environment cannot be checkpointed, start a new run");
            return (signals.ExitCode, null);
        }

        var evaluation = session.Evaluate();
        session.SaveModel(folder.ModelPath);
        folder.SetStatus(RunStatus.Finished, time);
        if (tracking is not null) await tracking.FinishAsync(evaluation, session, folder);
        Log.RunFinished(logger, folder.Record.RunId, evaluation.MeanReturn, evaluation.StdReturn, evaluation.Episodes, evaluation.SuccessRate, folder.ModelPath);
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"run {folder.Record.RunId} ({descriptor.Name}): {(session.Unit == "steps" ? "" : $"{session.Episode} {session.Unit}, ")}{session.TotalSteps} steps; greedy return {evaluation.MeanReturn:F3} +- {evaluation.StdReturn:F3} over {evaluation.Episodes} episodes, success {evaluation.SuccessRate:P1}"));
        await context.Output.WriteLineAsync($"model: {Path.GetFullPath(folder.ModelPath)}");
        if (tracking is not null)
            await context.Output.WriteLineAsync($"mlflow: experiment {tracking.Run.ExperimentId}, run {tracking.Run.RunId}" +
                (tracking.Run.SpoolDirectory is { } spool ? $"; the server was unreachable, records spooled to {spool} (push them later)" : $" ({tracking.Run.Delivery})"));
        return (ExitCodes.Success, evaluation);
    }

    /// <summary>A live table on an interactive terminal; log lines every two seconds when output is redirected.</summary>
    private static bool IsInteractive(QForgeHost.CommandContext context) =>
        ReferenceEquals(context.Output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    private static async Task ShowProgressAsync(bool interactive, ILogger logger, TrainingProgress progress, Task training)
    {
        if (interactive)
        {
            var table = new Table().AddColumns(progress.Unit, "steps/s", "epsilon", "mean return (last 100)", "elapsed", "remaining");
            void Update()
            {
                table.Rows.Clear();
                table.AddRow(
                    $"{progress.Episode:N0} / {progress.TargetEpisodes:N0}", $"{progress.StepsPerSecond:N0}", $"{progress.Epsilon:F3}",
                    $"{progress.MeanReturn:F3}", Format(progress.Elapsed), progress.Remaining is { } r ? Format(r) : "-");
            }
            await AnsiConsole.Live(table).AutoClear(false).StartAsync(async live =>
            {
                while (await Task.WhenAny(training, Task.Delay(250)) != training)
                {
                    Update();
                    live.Refresh();
                }
                Update();
                live.Refresh();
            });
            return;
        }
        while (await Task.WhenAny(training, Task.Delay(TimeSpan.FromSeconds(2))) != training)
            LogProgress(logger, progress);
        LogProgress(logger, progress);
    }

    private static void LogProgress(ILogger logger, TrainingProgress progress) =>
        Log.Progress(logger, progress.Unit, progress.Episode, progress.TargetEpisodes, progress.MeanReturn, progress.Epsilon, progress.StepsPerSecond,
            Format(progress.Elapsed), progress.Remaining is { } r ? Format(r) : "-");

    private static string Format(TimeSpan span) => span.ToString(span.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss\.f", CultureInfo.InvariantCulture);

    private static IConfiguration WithSeed(IConfiguration training, long? seed) => seed is null ? training
        : new ConfigurationBuilder()
            .AddInMemoryCollection(training.AsEnumerable(makePathsRelative: true))
            .AddInMemoryCollection([new KeyValuePair<string, string?>("Seed", seed.Value.ToString(CultureInfo.InvariantCulture))])
            .Build();

    private static List<long?> ParseSeeds(string text)
    {
        var seeds = new List<long?>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seed))
                throw new UsageException($"--Seeds = '{text}': '{part}' is not an integer; write seeds as 1,2,3.");
            seeds.Add(seed);
        }
        if (seeds.Distinct().Count() != seeds.Count)
            throw new UsageException($"--Seeds = '{text}' repeats a seed; each seed runs once.");
        return seeds;
    }

    private static int? ReadInt(IConfiguration configuration, string key) =>
        configuration[key] is not { } raw ? null
        : int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
        : throw new UsageException($"{key} = '{raw}' is not an integer.");

    /// <summary>"episode" for a session counted in "episodes", "step" for "steps".</summary>
    private static string Singular(string unit) => unit.EndsWith('s') ? unit[..^1] : unit;
}
