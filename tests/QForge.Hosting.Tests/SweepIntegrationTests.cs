namespace QForge.Hosting.Tests;

/// <summary>Sweeps run by the real program: sharding, resuming and bad input.</summary>
public class SweepIntegrationTests
{
    /// <summary>The trial indices recorded in a sweep folder's JSON-lines records, one entry per line.</summary>
    private static List<int> RecordedTrials(string folder) =>
        [.. Directory.GetFiles(Path.Combine(folder, "trials"), "*.jsonl").SelectMany(File.ReadAllLines)
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("Index").GetInt32())];

    private static readonly string[] Small = ["sweep", "--Episodes", "300", "--EvaluationEpisodes", "5", "--Sweep:Space:LearningRate=0.1,0.2,0.3", "--Sweep:Space:EpsilonDecayEpisodes=100,200", "--sweeps", "sweeps"];

    [Fact]
    public async Task Shards_run_by_separate_processes_cover_every_trial_exactly_once()
    {
        using var taxi = new ExperimentProcess("Taxi");
        // Both shards at once, as two machines would run them, into one sweep folder and one MLflow store.
        var shards = new[] { "0/2", "1/2" }.Select(shard => Task.Run(() => taxi.Run([.. Small, "--shard", shard, "--parallel", "1"]))).ToArray();
        var (first, second) = (await shards[0], await shards[1]);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        string folder = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "sweeps")));
        // Each process appended to a records file of its own.
        Assert.Equal(2, Directory.GetFiles(Path.Combine(folder, "trials"), "*.jsonl").Length);
        Assert.Equal(Enumerable.Range(0, 6), RecordedTrials(folder).Order());
        Assert.Contains("shard 0/2: 3 trials", first.Output);
        Assert.Contains("shard 1/2: 3 trials", second.Output);
        string[] csv = File.ReadAllLines(Path.Combine(folder, "trials.csv"));
        Assert.Equal("trial,EpsilonDecayEpisodes,LearningRate,status,return_mean,return_std,return_min,seconds,stopped,error", csv[0]);
        Assert.Equal(7, csv.Length);
        Assert.Contains("best: trial", first.Output + second.Output);

        // MLflow: one parent run per shard, one child run per trial, nested with mlflow.parentRunId.
        string experiment = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var runs = Directory.GetDirectories(experiment);
        var parents = runs.Where(r => File.Exists(Path.Combine(r, "tags", "qforge.sweep_id")) && !File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId"))).ToList();
        Assert.Equal(2, parents.Count);
        var children = runs.Where(r => File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId"))).ToList();
        Assert.Equal(6, children.Count);
        var parentIds = parents.Select(Path.GetFileName).ToHashSet();
        Assert.All(children, c => Assert.Contains(File.ReadAllText(Path.Combine(c, "tags", "mlflow.parentRunId")), parentIds));
        Assert.All(children, c => Assert.Contains("status: 3\n", File.ReadAllText(Path.Combine(c, "meta.yaml"))));
        Assert.True(File.Exists(Path.Combine(parents[0], "artifacts", "trials.csv")));

        // The same command again finds every trial done and runs none.
        var again = taxi.Run([.. Small]);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("6 trials, 6 already done", again.Output);
    }

    [Fact]
    public void Resume_by_the_parent_run_id_finishes_the_sweep_in_the_same_parent_run()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var first = taxi.Run([.. Small, "--shard", "0/2", "--parallel", "1"]);
        Assert.True(first.ExitCode == 0, first.Output);
        string experiment = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        string parent = Assert.Single(Directory.GetDirectories(experiment), r => !File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId")));
        string parentId = Path.GetFileName(parent);

        var changed = taxi.Run("sweep", "--resume", parentId, "--sweeps", "sweeps", "--Sweep:Seeds=1,2");
        Assert.True(changed.ExitCode == 2, changed.Output);
        Assert.Contains("--resume continues a sweep exactly as it was specified; drop --Sweep:Seeds", changed.Output);
        var unknown = taxi.Run("sweep", "--resume", "0123456789abcdef0123456789abcdef", "--sweeps", "sweeps");
        Assert.True(unknown.ExitCode == 2, unknown.Output);
        Assert.Contains("--resume '0123456789abcdef0123456789abcdef' names no sweep in", unknown.Output);
        Assert.Contains("sweeps there: ", unknown.Output);

        var resumed = taxi.Run("sweep", "--resume", parentId, "--sweeps", "sweeps", "--parallel", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("shard 0/1: 6 trials, 3 already done", resumed.Output);
        Assert.Contains($"mlflow: parent run {parentId}", resumed.Output);
        Assert.Single(Directory.GetDirectories(experiment), r => !File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId")));
        Assert.Equal(6, Directory.GetDirectories(experiment).Count(r => File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId"))));
        Assert.Contains("status: 3\n", File.ReadAllText(Path.Combine(parent, "meta.yaml")));
        Assert.True(File.Exists(Path.Combine(parent, "tags", "qforge.best_trial")));
        string folder = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "sweeps")));
        Assert.Equal(6, RecordedTrials(folder).Count);

        // The sweep id works as well, and finds nothing left to do.
        var again = taxi.Run("sweep", "--resume", Path.GetFileName(folder), "--sweeps", "sweeps");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("6 trials, 6 already done", again.Output);
    }

    [Fact]
    public void Resume_needs_no_experiment_name_in_a_program_with_several()
    {
        using var lake = new ExperimentProcess("FrozenLake");
        var first = lake.Run("sweep", "frozen-lake", "--Episodes", "200", "--EvaluationEpisodes", "5", "--Sweep:Space:LearningRate=0.1,0.2", "--sweeps", "sweeps", "--shard", "0/2");
        Assert.True(first.ExitCode == 0, first.Output);
        string sweepId = Path.GetFileName(Assert.Single(Directory.GetDirectories(Path.Combine(lake.WorkingDirectory, "sweeps"))));
        var resumed = lake.Run("sweep", "--resume", sweepId, "--sweeps", "sweeps");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("2 trials, 1 already done", resumed.Output);
    }

    [Fact]
    public void Ctrl_c_ends_running_trials_killed_and_the_rerun_finishes_the_sweep()
    {
        using var taxi = new ExperimentProcess("Taxi");
        // Trials of about a second each, two at a time: the signal lands while trials run.
        string[] args = ["sweep", "--Episodes", "6000000", "--EvaluationEpisodes", "5", "--Sweep:Space:LearningRate=0.1,0.2",
            "--Sweep:Space:EpsilonDecayEpisodes=100,200", "--sweeps", "sweeps", "--parallel", "2"];
        using var process = taxi.Start(args);
        HostIntegrationTests.WaitForLines(process, "already done", count: 1);
        Thread.Sleep(300);
        System.Diagnostics.Process.Start("kill", ["-s", "INT", process.Id.ToString()])!.WaitForExit();
        process.WaitForExit();
        string rest = process.StandardOutput.ReadToEnd();
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {rest}");
        Assert.Contains("stopped by SIGINT; run the same command again to finish the remaining trials", rest);

        string experiment = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        string parent = Assert.Single(Directory.GetDirectories(experiment), r => !File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId")));
        Assert.Contains("status: 5\n", File.ReadAllText(Path.Combine(parent, "meta.yaml")));
        var interrupted = Directory.GetDirectories(experiment).Where(r => File.Exists(Path.Combine(r, "tags", "qforge.stopped"))).ToList();
        Assert.NotEmpty(interrupted);
        Assert.All(interrupted, r => Assert.Contains("status: 5\n", File.ReadAllText(Path.Combine(r, "meta.yaml"))));
        Assert.All(interrupted, r => Assert.StartsWith("the sweep was interrupted", File.ReadAllText(Path.Combine(r, "tags", "qforge.stopped"))));
        Assert.DoesNotContain(Directory.GetDirectories(experiment), r => File.ReadAllText(Path.Combine(r, "meta.yaml")).Contains("status: 1\n")); // nothing left RUNNING
        string folder = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "sweeps")));
        int recorded = RecordedTrials(folder).Count;
        Assert.True(recorded < 4, $"{recorded} trials recorded before the signal");

        var (code, output) = taxi.Run(args);
        Assert.True(code == 0, output);
        Assert.Contains($"4 trials, {recorded} already done", output);
        Assert.Equal([0, 1, 2, 3], RecordedTrials(folder).Order());
    }

    [Fact]
    public void A_tpe_sweep_with_early_stopping_ends_stopped_trials_killed_with_the_reason()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run("sweep", "--Episodes", "400", "--EvaluationEpisodes", "5", "--sweeps", "sweeps", "--parallel", "1",
            "--Sweep:Strategy=tpe", "--Sweep:Trials=10", "--Sweep:StartupTrials=4", "--Sweep:EarlyStopping=asha", "--Sweep:Rungs=2",
            "--Sweep:Space:LearningRate=log:0.01..1", "--Sweep:Space:EpsilonDecayEpisodes=off");
        Assert.True(code == 0, output);
        Assert.Contains("10 trials x 1 seeds, tpe, early stopping ASHA (eta 3, 2 rungs)", output);
        Assert.Contains("KILLED at ", output);

        string experiment = Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var children = Directory.GetDirectories(experiment).Where(r => File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId"))).ToList();
        Assert.Equal(10, children.Count);
        var killed = children.Where(c => File.ReadAllText(Path.Combine(c, "meta.yaml")).Contains("status: 5\n")).ToList();
        Assert.NotEmpty(killed);
        Assert.All(killed, c => Assert.StartsWith("early stopping (ASHA): at rung", File.ReadAllText(Path.Combine(c, "tags", "qforge.stopped"))));
        Assert.All(children, c => Assert.True(File.Exists(Path.Combine(c, "metrics", "rung_return"))));
        Assert.Equal(10 - killed.Count, children.Count(c => File.ReadAllText(Path.Combine(c, "meta.yaml")).Contains("status: 3\n")));
        string[] csv = File.ReadAllLines(Path.Combine(Assert.Single(Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "sweeps"))), "trials.csv"));
        Assert.Equal(killed.Count, csv.Count(line => line.Contains(",KILLED,") && line.Contains("early stopping (ASHA)")));
    }

    [Theory]
    [InlineData("--shard", "2/2", "--shard = '2/2' must be i/N with 0 <= i < N")]
    [InlineData("--Sweep:Space:LearningRate=2..1", "", "the low end 2 is above the high end 1")]
    [InlineData("--Sweep:Space:Gamma=0.9", "", "Sweep:Space:Gamma names no hyperparameter of taxi")]
    [InlineData("--Sweep:Space:LearningRate=1.5,0.5", "", "LearningRate = 1.5 is out of range: allowed (0, 1]")]
    public void Bad_sweep_input_is_one_clear_message_and_exit_code_2(string first, string second, string message)
    {
        using var taxi = new ExperimentProcess("Taxi");
        string[] args = second.Length > 0 ? ["sweep", first, second] : ["sweep", first];
        var (code, output) = taxi.Run(args);
        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Contains(message, output);
        Assert.DoesNotContain("   at ", output);
    }
}
