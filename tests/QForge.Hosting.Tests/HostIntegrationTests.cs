using System.Diagnostics;
using System.Text.Json;

namespace QForge.Hosting.Tests;

/// <summary>The real experiment programs, started as processes: exit codes, output and files.</summary>
public class HostIntegrationTests
{
    private static JsonElement RunRecord(ExperimentProcess process, string runId) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(process.RunsDirectory, runId, "run.json"))).RootElement;

    private static string OnlyRun(ExperimentProcess process) => Path.GetFileName(Assert.Single(Directory.GetDirectories(process.RunsDirectory)));

    private static void AssertNoStackTrace(string output) => Assert.DoesNotContain("   at ", output);

    [Fact]
    public void Train_runs_end_to_end_and_records_the_run()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run("train", "--Episodes", "3000", "--Seed", "3");
        Assert.True(code == 0, output);
        Assert.Contains("greedy return", output);
        string runId = OnlyRun(taxi);
        var record = RunRecord(taxi, runId);
        Assert.Equal("Finished", record.GetProperty("Status").GetString());
        Assert.Equal("taxi", record.GetProperty("Experiment").GetString());
        Assert.Equal("3000", record.GetProperty("Configuration").GetProperty("Episodes").GetString());
        Assert.True(File.Exists(Path.Combine(taxi.RunsDirectory, runId, "model.safetensors")));

        // The run is tracked in MLflow's file store under ./mlruns.
        string mlflowRun = Path.Combine(taxi.WorkingDirectory, "mlruns", record.GetProperty("MlflowExperimentId").GetString()!, record.GetProperty("MlflowRunId").GetString()!);
        Assert.Contains("status: 3\n", File.ReadAllText(Path.Combine(mlflowRun, "meta.yaml")));
        Assert.Equal("3000", File.ReadAllText(Path.Combine(mlflowRun, "params", "Episodes")));
        Assert.Equal("Taxi-v3", File.ReadAllText(Path.Combine(mlflowRun, "params", "environment")));
        Assert.Equal(3000, File.ReadAllLines(Path.Combine(mlflowRun, "metrics", "episode_return")).Length);
        Assert.Single(File.ReadAllLines(Path.Combine(mlflowRun, "metrics", "eval_mean_return")));
        Assert.All(new[] { "config.json", "evaluation.json", "learning_curve.svg", "model.safetensors" },
            f => Assert.True(File.Exists(Path.Combine(mlflowRun, "artifacts", f)), f));
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(mlflowRun, "artifacts", "learning_curve.svg")));

        (code, output) = taxi.Run("evaluate", "--run", runId, "--EvaluationEpisodes", "20");
        Assert.True(code == 0, output);
        Assert.Contains("over 20 episodes", output);
    }

    [Fact]
    public void Configuration_precedence_is_defaults_then_appsettings_then_environment_then_command_line()
    {
        using var taxi = new ExperimentProcess("Taxi");
        File.WriteAllText(Path.Combine(taxi.Binaries, "appsettings.json"), """{ "Training": { "Episodes": 300, "Seed": 5, "EvaluationEpisodes": 7 } }""");
        File.WriteAllText(Path.Combine(taxi.Binaries, "appsettings.Staging.json"), """{ "Training": { "Seed": 6, "EvaluationEpisodes": 8 } }""");
        var environment = new Dictionary<string, string> { ["Training__EvaluationEpisodes"] = "9", ["DOTNET_ENVIRONMENT"] = "Staging" };

        var (code, output) = taxi.Run(["train", "--Training:EvaluationEpisodes=10", "--EpsilonDecayEpisodes", "100"], environment);
        Assert.True(code == 0, output);
        var configuration = RunRecord(taxi, OnlyRun(taxi)).GetProperty("Configuration");
        Assert.Equal("300", configuration.GetProperty("Episodes").GetString());              // appsettings.json over the default
        Assert.Equal("6", configuration.GetProperty("Seed").GetString());                    // appsettings.Staging.json over appsettings.json
        Assert.Equal("10", configuration.GetProperty("EvaluationEpisodes").GetString());     // command line over environment over files
        Assert.Equal("100", configuration.GetProperty("EpsilonDecayEpisodes").GetString());  // the shorthand form
        Assert.Equal("0.1", configuration.GetProperty("LearningRate").GetString());          // the default

        Directory.Delete(taxi.RunsDirectory, recursive: true);
        (code, output) = taxi.Run(["train"], environment);
        Assert.True(code == 0, output);
        Assert.Equal("9", RunRecord(taxi, OnlyRun(taxi)).GetProperty("Configuration").GetProperty("EvaluationEpisodes").GetString());

        // The environment can also be chosen on the command line.
        Directory.Delete(taxi.RunsDirectory, recursive: true);
        (code, output) = taxi.Run("train", "--environment", "Staging");
        Assert.True(code == 0, output);
        Assert.Equal("6", RunRecord(taxi, OnlyRun(taxi)).GetProperty("Configuration").GetProperty("Seed").GetString());
    }

    [Theory]
    [InlineData(new[] { "train", "--LearningRat", "0.2" }, "Unknown hyperparameter 'LearningRat'. Did you mean 'LearningRate'?")]
    [InlineData(new[] { "train", "--Episodes", "many" }, "Episodes = 'many' is not valid: expected an integer")]
    [InlineData(new[] { "train", "--DiscountFactor", "1.5" }, "DiscountFactor = 1.5 is out of range: allowed [0, 1]")]
    [InlineData(new[] { "train", "nosuch" }, "No experiment is named 'nosuch'. Known experiments: taxi")]
    [InlineData(new[] { "train", "--Seeds", "1,x" }, "'x' is not an integer")]
    [InlineData(new[] { "train", "--resume", "0123" }, "No run '0123'")]
    [InlineData(new[] { "train", "--checkpoint-every", "0" }, "--checkpoint-every = 0 must be at least 1")]
    [InlineData(new[] { "train", "--Episodes", "10", "stray" }, "Unexpected argument 'stray'")]
    [InlineData(new[] { "evaluate" }, "Give exactly one of --model FILE or --run ID.")]
    [InlineData(new[] { "evaluate", "--model", "missing.safetensors" }, "No model file at")]
    [InlineData(new[] { "bogus" }, "error:")]
    [InlineData(new[] { "push" }, "push sends runs to a tracking server: set MLFLOW_TRACKING_URI")]
    public void Bad_input_is_one_clear_message_and_exit_code_2(string[] args, string message)
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run(args);
        Assert.True(code == 2, $"exit {code}: {output}");
        Assert.Contains(message, output);
        AssertNoStackTrace(output);
    }

    [Fact]
    public void An_unreachable_tracking_server_loses_nothing_the_run_is_spooled_to_the_local_store()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var environment = new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:9", // the discard port on loopback: nothing listens
            ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "1",
            ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0",
            ["MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"] = "0",
        };
        var (code, output) = taxi.Run(["train", "--Episodes", "200", "--EvaluationEpisodes", "5"], environment);
        Assert.True(code == 0, output);
        Assert.Contains("the server was unreachable, records spooled to", output);
        string spooled = Directory.GetDirectories(Path.Combine(taxi.WorkingDirectory, "mlruns")).Where(d => Path.GetFileName(d) is not ("0" or ".trash"))
            .SelectMany(Directory.GetDirectories).Single();
        Assert.Equal("200", File.ReadAllText(Path.Combine(spooled, "params", "Episodes")));
        Assert.Equal(200, File.ReadAllLines(Path.Combine(spooled, "metrics", "episode_return")).Length);
        Assert.True(File.Exists(Path.Combine(spooled, "artifacts", "model.safetensors")));
    }

    [Fact]
    public void Mlflow_run_id_makes_training_log_into_that_existing_run()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var store = new QForge.Tracking.FileStore(Path.Combine(taxi.WorkingDirectory, "mlruns"));
        string experiment = store.GetOrCreateExperiment("orchestrated");
        string runId = store.CreateRun(experiment, "made-by-a-scheduler", new Dictionary<string, string>(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "ci");
        var environment = new Dictionary<string, string> { ["MLFLOW_RUN_ID"] = runId };

        var (code, output) = taxi.Run(["train", "--Episodes", "200", "--EvaluationEpisodes", "5"], environment);
        Assert.True(code == 0, output);
        string run = store.RunDirectory(experiment, runId);
        Assert.Equal("200", File.ReadAllText(Path.Combine(run, "params", "Episodes")));
        Assert.True(File.Exists(Path.Combine(run, "metrics", "eval_mean_return")));
        Assert.Equal("taxi", File.ReadAllText(Path.Combine(run, "tags", "qforge.experiment")));
        Assert.Contains("status: 3\n", File.ReadAllText(Path.Combine(run, "meta.yaml")));
        Assert.Equal(["0", experiment], Directory.GetDirectories(store.Root).Select(Path.GetFileName).Where(n => n != ".trash").Order());
        Assert.Single(Directory.GetDirectories(Path.Combine(store.Root, experiment)));

        var seeds = taxi.Run(["train", "--Episodes", "200", "--Seeds", "1,2"], environment);
        Assert.True(seeds.ExitCode == 2, seeds.Output);
        Assert.Contains("MLFLOW_RUN_ID names one MLflow run, and --Seeds 1,2 makes 2 runs", seeds.Output);
        var unknown = taxi.Run(["train", "--Episodes", "200"], new Dictionary<string, string> { ["MLFLOW_RUN_ID"] = "0123456789abcdef0123456789abcdef" });
        Assert.True(unknown.ExitCode == 2, unknown.Output);
        Assert.Contains("MLflow run 0123456789abcdef0123456789abcdef cannot be continued: Run '0123456789abcdef0123456789abcdef' does not exist", unknown.Output);
        Assert.DoesNotContain("   at ", unknown.Output);
    }

    [Fact]
    public void An_unsupported_tracking_uri_is_one_clear_message()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run(["train", "--Episodes", "10"], new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = "sqlite:///mlflow.db" });
        Assert.Equal(2, code);
        Assert.Contains("which QForge does not write", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void A_program_with_several_experiments_asks_for_a_name()
    {
        using var lake = new ExperimentProcess("FrozenLake");
        var (code, output) = lake.Run("train");
        Assert.Equal(2, code);
        Assert.Contains("Name the experiment: frozen-lake, frozen-lake-8x8", output);
        (code, output) = lake.Run("train", "frozen-lake", "--Episodes", "200", "--IsSlippery", "false", "--EvaluationEpisodes", "5");
        Assert.True(code == 0, output);
    }

    [Fact]
    public void A_malformed_appsettings_file_names_the_file_and_the_line()
    {
        using var taxi = new ExperimentProcess("Taxi");
        File.WriteAllText(Path.Combine(taxi.Binaries, "appsettings.json"), "{\n  \"Training\": {\n    \"Episodes\": 10,,\n  }\n}");
        var (code, output) = taxi.Run("train");
        Assert.Equal(2, code);
        Assert.Contains("appsettings.json", output);
        Assert.Contains("(line 3)", output);
        AssertNoStackTrace(output);
    }

    [Fact]
    public void Seeds_run_one_run_per_seed_and_summarise()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run("train", "--Seeds", "1,2", "--Episodes", "500", "--EvaluationEpisodes", "5");
        Assert.True(code == 0, output);
        Assert.Equal(2, Directory.GetDirectories(taxi.RunsDirectory).Length);
        Assert.Contains("2 seeds: greedy return mean", output);
        var seeds = Directory.GetDirectories(taxi.RunsDirectory)
            .Select(d => RunRecord(taxi, Path.GetFileName(d)).GetProperty("Configuration").GetProperty("Seed").GetString()).Order();
        Assert.Equal(["1", "2"], seeds);
    }

    [Fact]
    public void List_shows_every_hyperparameter_with_default_range_and_doc()
    {
        using var taxi = new ExperimentProcess("Taxi");
        var (code, output) = taxi.Run("list");
        Assert.Equal(0, code);
        Assert.Contains("taxi: Q-learning on Taxi-v3.", output);
        Assert.Contains("--LearningRate <double>", output);
        Assert.Contains("default 0.1, (0, 1]; sweep log [0.02, 0.5] x 4. The step size alpha", output);
        (code, output) = taxi.Run("train", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--resume", output);
        Assert.Contains("--Seeds", output);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_signal_stops_training_with_a_checkpoint_and_resume_matches_an_uninterrupted_run(string signal, int expectedCode)
    {
        using var taxi = new ExperimentProcess("Taxi");
        string[] common = ["--Episodes", "400000", "--Seed", "11", "--EvaluationEpisodes", "5"];
        using var process = taxi.Start(["train", .. common, "--checkpoint-every", "100"]);
        WaitForLines(process, "Checkpoint written", count: 3);
        Process.Start("kill", ["-s", signal, process.Id.ToString()])!.WaitForExit();
        process.WaitForExit();
        string rest = process.StandardOutput.ReadToEnd();
        Assert.True(expectedCode == process.ExitCode, $"exit {process.ExitCode}: {rest}");
        string runId = OnlyRun(taxi);
        var killed = RunRecord(taxi, runId);
        Assert.Equal("Killed", killed.GetProperty("Status").GetString());
        Assert.Contains($"resume with: train --resume {runId}", rest);
        string mlflowMeta = Path.Combine(taxi.WorkingDirectory, "mlruns", killed.GetProperty("MlflowExperimentId").GetString()!, killed.GetProperty("MlflowRunId").GetString()!, "meta.yaml");
        Assert.Contains("status: 5\n", File.ReadAllText(mlflowMeta));

        var (code, output) = taxi.Run("train", "--resume", runId, "--checkpoint-every", "100000");
        Assert.True(code == 0, output);
        Assert.Equal("Finished", RunRecord(taxi, runId).GetProperty("Status").GetString());
        AssertSameModelAsUninterrupted(taxi, runId, common);
    }

    [Fact]
    public void After_kill_9_training_resumes_from_the_last_periodic_checkpoint_with_identical_results()
    {
        using var taxi = new ExperimentProcess("Taxi");
        string[] common = ["--Episodes", "400000", "--Seed", "12", "--EvaluationEpisodes", "5"];
        using var process = taxi.Start(["train", .. common, "--checkpoint-every", "100"]);
        WaitForLines(process, "Checkpoint written", count: 4);
        process.Kill(); // SIGKILL: no handler runs
        process.WaitForExit();
        string runId = OnlyRun(taxi);
        Assert.Equal("Running", RunRecord(taxi, runId).GetProperty("Status").GetString());

        var (code, output) = taxi.Run("train", "--resume", runId, "--checkpoint-every", "100000");
        Assert.True(code == 0, output);
        Assert.Contains("resuming taxi at episode", output);
        AssertSameModelAsUninterrupted(taxi, runId, common);
    }

    private static void AssertSameModelAsUninterrupted(ExperimentProcess taxi, string resumedRunId, string[] common)
    {
        var (code, output) = taxi.Run(["train", .. common, "--checkpoint-every", "100000"]);
        Assert.True(code == 0, output);
        string uninterrupted = Directory.GetDirectories(taxi.RunsDirectory).Select(Path.GetFileName).Single(id => id != resumedRunId)!;
        byte[] resumed = File.ReadAllBytes(Path.Combine(taxi.RunsDirectory, resumedRunId, "model.safetensors"));
        byte[] straight = File.ReadAllBytes(Path.Combine(taxi.RunsDirectory, uninterrupted, "model.safetensors"));
        Assert.Equal(straight, resumed);
    }

    internal static void WaitForLines(Process process, string text, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        int seen = 0;
        while (seen < count)
        {
            string? line = process.StandardOutput.ReadLine();
            if (line is null || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"The process ended or stalled before printing '{text}' {count} times (exit {(process.HasExited ? process.ExitCode : -1)}).");
            if (line.Contains(text)) seen++;
        }
    }
}
