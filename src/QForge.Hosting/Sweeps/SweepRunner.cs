using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using QForge.Tracking;

namespace QForge.Hosting.Sweeps;

/// <summary>An intermediate evaluation of a trial for early stopping: the objective's mean over the seeds at a budget.</summary>
/// <param name="Rung">The rung's 0-based index.</param>
/// <param name="Budget">Training done at this rung, in the session's unit (episodes or steps).</param>
/// <param name="Value">The objective's mean over the seeds.</param>
public sealed record TrialRung(int Rung, long Budget, double Value);

/// <summary>The outcome of one trial, over all its seeds.</summary>
/// <param name="Index">The trial's index in the plan.</param>
/// <param name="Values">The swept values.</param>
/// <param name="Status">Finished, Failed, or Killed when early stopping ended it (trials interrupted by a signal are not recorded and run again).</param>
/// <param name="Mean">The objective's mean over the seeds (for a trial stopped early: at its last rung).</param>
/// <param name="Std">Its population standard deviation.</param>
/// <param name="Min">Its minimum.</param>
/// <param name="PerSeed">The objective of each seed.</param>
/// <param name="Seconds">Wall time of the trial.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Rungs">The intermediate evaluations, when early stopping is on.</param>
/// <param name="StoppedReason">Why early stopping ended the trial.</param>
public sealed record TrialResult(int Index, IReadOnlyDictionary<string, string> Values, RunStatus Status, double Mean, double Std, double Min,
    IReadOnlyList<double> PerSeed, double Seconds, string? Error, IReadOnlyList<TrialRung>? Rungs = null, string? StoppedReason = null);

/// <summary>Where a sweep reports one trial's progress (the host nests an MLflow run per trial under the sweep's run).</summary>
public interface ITrialLog
{
    /// <summary>An intermediate evaluation was made.</summary>
    void OnRung(TrialRung rung);

    /// <summary>The trial ended: <paramref name="result"/> is null when a signal interrupted it.</summary>
    Task EndAsync(TrialResult? result);
}

/// <summary>
/// Runs a sweep's trials: in parallel (each with its own experiment instance, settings and seed-derived generators, so
/// no mutable state is shared), each over every seed, with early stopping when the plan asks for it. Every finished,
/// failed or early-stopped trial is recorded (<see cref="TrialRecords"/>: a line in <c>trials/*.jsonl</c> in the sweep's
/// folder) before the next starts, so rerunning skips it; TPE proposals read those records, so shards sharing the
/// folder learn from each other.
/// </summary>
public sealed class SweepRunner
{
    private readonly ExperimentDescriptor _descriptor;
    private readonly SweepPlan _plan;
    private readonly IReadOnlyList<Trial>? _planned;
    private readonly TrialRecords _records;

    /// <summary>Creates the runner for <paramref name="plan"/>, recording in <paramref name="folder"/> (created, with sweep.json).</summary>
    public SweepRunner(ExperimentDescriptor descriptor, SweepPlan plan, string folder)
    {
        _descriptor = descriptor;
        _plan = plan;
        _planned = plan.Strategy == SweepStrategy.Tpe ? null : plan.Trials();
        Folder = folder;
        _records = new TrialRecords(Path.Combine(folder, "trials"));
        File.WriteAllText(Path.Combine(folder, "sweep.json"), JsonSerializer.Serialize(plan, SweepJson.Indented.SweepPlan));
    }

    /// <summary>The sweep's folder.</summary>
    public string Folder { get; }

    /// <summary>Binds the settings of <see cref="SweepPlan.ValidationTrials"/>, so that a value the settings refuse is reported before any trial runs.</summary>
    /// <exception cref="HyperparameterException">A value is refused.</exception>
    public void Validate()
    {
        var experiment = _descriptor.Create();
        foreach (var trial in _plan.ValidationTrials()) experiment.Resolve(TrialConfiguration(_plan, trial, _plan.Seeds[0]));
    }

    /// <summary>The trial indices of shard <paramref name="shardIndex"/> of <paramref name="shardCount"/>: those equal to it modulo the count.</summary>
    public IReadOnlyList<int> ShardIndices(int shardIndex, int shardCount) =>
        Enumerable.Range(0, _plan.TrialCount).Where(i => i % shardCount == shardIndex).ToList();

    /// <summary>Every trial recorded in the folder (by any process), by index.</summary>
    /// <exception cref="InvalidDataException">A record is corrupt: the message names the file and line.</exception>
    public IReadOnlyList<TrialResult> LoadResults() => _records.Load();

    /// <summary>
    /// Runs the trials of <paramref name="indices"/> not yet recorded, at most <paramref name="workers"/> at a time. On
    /// cancellation, running trials stop at their next episode boundary and are not recorded.
    /// </summary>
    public async Task RunAsync(IReadOnlyList<int> indices, int workers, Func<Trial, Task<ITrialLog?>>? log, CancellationToken cancellationToken)
    {
        var recorded = LoadResults();
        var done = recorded.Select(r => r.Index).ToHashSet();
        SuccessiveHalving? stopping = _plan.EarlyStopping is { } rule ? new SuccessiveHalving(rule, _plan.Maximize) : null;
        foreach (var rung in recorded.SelectMany(r => r.Rungs ?? [])) stopping?.Record(rung.Rung, rung.Value);

        // Each worker is a thread of its own taking the next index in order (training is long, CPU-bound and
        // synchronous, so it should not occupy thread-pool threads); a trial's MLflow run is ended in the background
        // (file or network I/O) while its worker goes on.
        var queue = new ConcurrentQueue<int>(indices.Where(i => !done.Contains(i)));
        var endings = new List<Task>();
        void Work()
        {
            while (!cancellationToken.IsCancellationRequested && queue.TryDequeue(out int index))
            {
                var trial = _planned is not null ? _planned[index] : _plan.Propose(index, LoadResults());
                var trialLog = log?.Invoke(trial).GetAwaiter().GetResult();
                var result = RunTrial(trial, stopping, trialLog, cancellationToken);
                if (result is not null) _records.Append(result);
                if (trialLog is not null)
                {
                    var ending = Task.Run(() => trialLog.EndAsync(result));
                    lock (endings) endings.Add(ending);
                }
            }
        }
        // The calling thread is one of the workers, as in Parallel.For: it has nothing else to do meanwhile.
        var threads = Enumerable.Range(1, Math.Max(1, workers) - 1).Select(_ => Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
        Work();
        await Task.WhenAll(threads).ConfigureAwait(false);
        Task[] pending;
        lock (endings) pending = [.. endings];
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>Runs a trial over every seed; null when cancelled (it will run again on resume).</summary>
    private TrialResult? RunTrial(Trial trial, SuccessiveHalving? stopping, ITrialLog? log, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var perSeed = new List<double>();
        var rungs = new List<TrialRung>();
        try
        {
            // The seeds train side by side so that each rung compares the trial's mean over every seed.
            var sessions = _plan.Seeds.Select(seed => _descriptor.Create().StartTraining(TrialConfiguration(_plan, trial, seed))).ToList();
            var budgets = _plan.EarlyStopping?.Budgets(sessions[0].TargetEpisodes) ?? [];
            for (int rung = 0; rung < budgets.Count; rung++)
            {
                if (!TrainTo(sessions, budgets[rung], cancellationToken)) return null;
                double value = sessions.Average(s => _plan.ObjectiveOf(s.Evaluate()));
                var report = new TrialRung(rung, budgets[rung], value);
                rungs.Add(report);
                log?.OnRung(report);
                if (stopping!.Report(rung, budgets[rung], sessions[0].Unit, _plan.Objective, value) is { } reason)
                    return new TrialResult(trial.Index, trial.Values, RunStatus.Killed, value, double.NaN, double.NaN, [], watch.Elapsed.TotalSeconds, null, rungs, reason);
            }
            if (!TrainTo(sessions, long.MaxValue, cancellationToken)) return null;
            perSeed.AddRange(sessions.Select(s => _plan.ObjectiveOf(s.Evaluate())));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TrialResult(trial.Index, trial.Values, RunStatus.Failed, double.NaN, double.NaN, double.NaN, perSeed, watch.Elapsed.TotalSeconds, e.Message, rungs);
        }
        double mean = perSeed.Average();
        double std = Math.Sqrt(perSeed.Sum(o => (o - mean) * (o - mean)) / perSeed.Count);
        return new TrialResult(trial.Index, trial.Values, RunStatus.Finished, mean, std, perSeed.Min(), perSeed, watch.Elapsed.TotalSeconds, null, rungs);
    }

    /// <summary>Trains every session up to <paramref name="budget"/> units (capped at its target); false when cancelled.</summary>
    private static bool TrainTo(List<ITrainingSession> sessions, long budget, CancellationToken cancellationToken)
    {
        foreach (var session in sessions)
        {
            long remaining = Math.Min(budget, session.TargetEpisodes) - session.Episode;
            if (remaining > 0 && session.Train(null, remaining, cancellationToken).Cancelled) return false;
        }
        return !cancellationToken.IsCancellationRequested;
    }

    /// <summary>The configuration of one seed of a trial: the base settings, the trial's values and the seed.</summary>
    internal static IConfiguration TrialConfiguration(SweepPlan plan, Trial trial, long seed) => new ConfigurationBuilder()
        .AddInMemoryCollection(plan.BaseSettings.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
        .AddInMemoryCollection(trial.Values.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)))
        .AddInMemoryCollection([new KeyValuePair<string, string?>("Seed", seed.ToString(CultureInfo.InvariantCulture))])
        .Build();

    /// <summary>
    /// Finished trials best first, then trials stopped early (those that got further first, then by their last rung),
    /// then failed ones.
    /// </summary>
    public static IEnumerable<TrialResult> Ranked(SweepPlan plan, IEnumerable<TrialResult> results)
    {
        double Key(double value) => double.IsNaN(value) ? double.PositiveInfinity : plan.Maximize ? -value : value;
        var list = results.ToList();
        return list.Where(r => r.Status == RunStatus.Finished).OrderBy(r => Key(r.Mean)).ThenBy(r => r.Index)
            .Concat(list.Where(r => r.Status == RunStatus.Killed).OrderByDescending(r => r.Rungs?.Count ?? 0).ThenBy(r => Key(r.Mean)).ThenBy(r => r.Index))
            .Concat(list.Where(r => r.Status is not (RunStatus.Finished or RunStatus.Killed)).OrderBy(r => r.Index));
    }
}
