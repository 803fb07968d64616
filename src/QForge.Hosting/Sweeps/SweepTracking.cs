using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using QForge.Tracking;

namespace QForge.Hosting.Sweeps;

/// <summary>A sweep's MLflow runs: a parent run per shard holding the spec and, at the end, the best trial; a child run per trial.</summary>
internal static class SweepTracking
{
    /// <summary>
    /// The sweep's parent MLflow run (one per shard) in the tracking store training runs use, or null when tracking is
    /// off. On <c>--resume</c> by a parent run, <paramref name="resumedRun"/> is reopened instead. (MLFLOW_RUN_ID does
    /// not apply: a sweep is many runs.) Also returns the source tags, read once (the git commit is a file read) for
    /// every child run.
    /// </summary>
    public static async Task<(TrackingTarget Target, TrackedRun Run, IReadOnlyDictionary<string, string> SourceTags)?> StartParentAsync(IConfiguration configuration,
        ExperimentDescriptor descriptor, SweepPlan plan, int shardIndex, int shardCount, TimeProvider time, string? resumedRun = null)
    {
        if (RunTracking.OpenTarget(configuration, descriptor) is not { } target) return null;
        var sourceTags = RunTracking.SourceTags(descriptor);
        if (resumedRun is not null)
            return (target, await RunTracking.ResumeAsync(target, resumedRun, new TrackedRunOptions { Time = time }), sourceTags);
        var tags = new Dictionary<string, string>(sourceTags);
        tags["qforge.sweep_id"] = plan.Id;
        tags["qforge.shard"] = $"{shardIndex}/{shardCount}";
        tags["mlflow.note.content"] = $"Sweep of {descriptor.Name}: {plan.Strategy.ToString().ToLowerInvariant()} over {string.Join(", ", plan.Dimensions.Select(d => d.Name))}, " +
            $"objective {plan.Objective} ({(plan.Maximize ? "maximize" : "minimize")}), seeds {string.Join(",", plan.Seeds)}" +
            (plan.EarlyStopping is { } rule ? $", early stopping ASHA (eta {rule.ReductionFactor}, {rule.Rungs} rungs)." : ".");
        var run = await TrackedRun.StartAsync(target.Store, target.ExperimentName, $"sweep-{plan.Id}-{shardIndex}of{shardCount}", tags,
            new TrackedRunOptions { Time = time, ExperimentId = target.ExperimentId });
        var parameters = new Dictionary<string, string>
        {
            ["sweep_strategy"] = plan.Strategy.ToString().ToLowerInvariant(),
            ["sweep_trials"] = plan.TrialCount.ToString(CultureInfo.InvariantCulture),
            ["sweep_objective"] = plan.Objective,
            ["sweep_direction"] = plan.Maximize ? "maximize" : "minimize",
            ["sweep_seeds"] = string.Join(",", plan.Seeds),
            ["sweep_seed"] = plan.SweepSeed.ToString(CultureInfo.InvariantCulture),
            ["sweep_space"] = string.Join("; ", plan.Dimensions.Select(d => d.Kind == SweepKind.Values ? $"{d.Name}={string.Join(",", d.Values)}"
                : string.Create(CultureInfo.InvariantCulture, $"{d.Name}={(d.Kind == SweepKind.LogRange ? "log:" : "")}{d.Min}..{d.Max}:{d.Steps}"))),
        };
        if (plan.Strategy == SweepStrategy.Tpe) parameters["sweep_startup_trials"] = plan.StartupTrials.ToString(CultureInfo.InvariantCulture);
        if (plan.EarlyStopping is { } stopping)
        {
            parameters["sweep_early_stopping"] = "asha";
            parameters["sweep_reduction_factor"] = stopping.ReductionFactor.ToString(CultureInfo.InvariantCulture);
            parameters["sweep_rungs"] = stopping.Rungs.ToString(CultureInfo.InvariantCulture);
        }
        run.LogParams(parameters);
        return (target, run, sourceTags);
    }

    /// <summary>A child run for a trial, nested under the sweep's run with mlflow.parentRunId.</summary>
    public static async Task<ITrialLog?> StartChildAsync(TrackingTarget target, TrackedRun parent, IReadOnlyDictionary<string, string> sourceTags, SweepPlan plan,
        Trial trial, TimeProvider time, ILogger logger)
    {
        var tags = new Dictionary<string, string>(sourceTags);
        tags["qforge.sweep_id"] = plan.Id;
        tags["qforge.trial"] = trial.Index.ToString(CultureInfo.InvariantCulture);
        var child = await TrackedRun.StartAsync(target.Store, target.ExperimentName, $"trial-{trial.Index}", tags,
            new TrackedRunOptions { Time = time, ParentRunId = parent.RunId, ExperimentId = target.ExperimentId });
        var parameters = new Dictionary<string, string>(plan.BaseSettings);
        foreach (var (key, value) in trial.Values) parameters[key] = value;
        parameters["Seeds"] = string.Join(",", plan.Seeds);
        child.LogParams(parameters);
        return new TrialRun(child, plan, trial, logger);
    }

    /// <summary>Logs a trial's rungs and outcome to its MLflow run and ends it FINISHED, FAILED or KILLED (with the reason as a tag).</summary>
    private sealed class TrialRun(TrackedRun run, SweepPlan plan, Trial trial, ILogger logger) : ITrialLog
    {
        public void OnRung(TrialRung rung) => run.LogMetric($"rung_{plan.Objective}", rung.Value, rung.Budget);

        public async Task EndAsync(TrialResult? result)
        {
            var state = RunState.Killed;
            if (result is null)
            {
                run.SetTag("qforge.stopped", "the sweep was interrupted; rerun the same command to finish this trial");
            }
            else
            {
                for (int i = 0; i < result.PerSeed.Count; i++) run.LogMetric(plan.Objective, result.PerSeed[i], i);
                switch (result.Status)
                {
                    case RunStatus.Finished:
                        run.LogMetric($"{plan.Objective}_mean", result.Mean, 0);
                        run.LogMetric($"{plan.Objective}_std", result.Std, 0);
                        run.LogMetric($"{plan.Objective}_min", result.Min, 0);
                        state = RunState.Finished;
                        break;
                    case RunStatus.Killed:
                        run.SetTag("qforge.stopped", result.StoppedReason ?? "stopped early");
                        break;
                    default:
                        run.SetTag("qforge.error", result.Error ?? "");
                        state = RunState.Failed;
                        break;
                }
            }
            foreach (string problem in await run.EndAsync(state))
                logger.LogWarning("MLflow trial run {Trial}: {Problem}", trial.Index, problem);
        }
    }
}
