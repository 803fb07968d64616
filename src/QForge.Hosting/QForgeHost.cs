using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace QForge.Hosting;

/// <summary>
/// The entry point of a QForge experiment project: <c>return await QForgeHost.RunAsync(args);</c>. It builds the
/// .NET generic host (<see cref="Host.CreateApplicationBuilder(string[])"/>: appsettings.json,
/// appsettings.{Environment}.json, environment variables, command line, logging) and runs the verbs
/// <c>train</c> (the default), <c>evaluate</c> and <c>list</c> over the experiments registered in the process.
/// </summary>
/// <remarks>
/// Hyperparameters live in the <c>Training</c> configuration section. Precedence, lowest first: the defaults in
/// code, appsettings.json, appsettings.{Environment}.json, environment variables (<c>Training__LearningRate</c>), the
/// command line (<c>--Training:LearningRate=0.2</c>, or the shorthand <c>--LearningRate 0.2</c>).
/// </remarks>
public static class QForgeHost
{
    /// <summary>The configuration section holding the hyperparameters.</summary>
    public const string TrainingSection = "Training";

    /// <summary>The configuration section holding QForge's own options (for example <c>QForge:Experiment</c>).</summary>
    public const string QForgeSection = "QForge";

    private static readonly string[] HostKeys = ["environment", "applicationName", "contentRoot"];

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="args">The command line.</param>
    /// <param name="configure">Adds services, configuration sources or logging to the host before it is built.</param>
    /// <param name="output">Where results and errors are written; the console when null.</param>
    public static async Task<int> RunAsync(string[] args, Action<HostApplicationBuilder>? configure = null, TextWriter? output = null)
    {
        output ??= Console.Out;
        var context = new CommandContext(configure, output);
        var root = BuildCommands(context);
        string[] effective = args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?" or "--version")) ? ["train", .. args] : args;
        var parse = root.Parse(effective);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await output.WriteLineAsync("error: " + error.Message);
            return ExitCodes.UsageError;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is UsageException or HyperparameterException or InvalidDataException or KeyNotFoundException)
        {
            await output.WriteLineAsync("error: " + e.Message);
            return ExitCodes.UsageError;
        }
    }

    private static RootCommand BuildCommands(CommandContext context)
    {
        const string hyperparameterHelp = "Hyperparameters follow as --Name value or --Training:Name=value (see 'list').";
        var resume = new Option<string?>("--resume") { Description = "Continue the run with this id from its last checkpoint." };
        var seeds = new Option<string?>("--Seeds") { Description = "Comma-separated seeds: one run per seed, e.g. 1,2,3." };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "Write a checkpoint every N episodes (N environment steps for DQN); default 1000, QForge:CheckpointEvery." };
        var runs = new Option<string?>("--runs") { Description = "The folder of local run state (default .qforge/runs; QForge:Runs)." };
        var train = new Command("train", "Train an experiment (the default command): train [experiment] [options]. " + hyperparameterHelp)
        {
            resume, seeds, checkpointEvery, runs,
        };
        train.TreatUnmatchedTokensAsErrors = false;
        train.SetAction((result, cancellationToken) => TrainCommand.RunAsync(context, result.UnmatchedTokens,
            new TrainOptions(result.GetValue(resume), result.GetValue(seeds), result.GetValue(checkpointEvery), result.GetValue(runs))));

        var model = new Option<string?>("--model") { Description = "A saved model file (.safetensors)." };
        var run = new Option<string?>("--run") { Description = "Evaluate the model of this run." };
        var evaluate = new Command("evaluate", "Evaluate a saved model greedily: evaluate [experiment] (--model FILE | --run ID). " + hyperparameterHelp)
        {
            model, run, runs,
        };
        evaluate.TreatUnmatchedTokensAsErrors = false;
        evaluate.SetAction((result, cancellationToken) => EvaluateCommand.RunAsync(context, result.UnmatchedTokens,
            result.GetValue(model), result.GetValue(run), result.GetValue(runs)));

        var shard = new Option<string?>("--shard") { Description = "Run only share i of N of the trials (i/N), e.g. from a Slurm array or a Kubernetes indexed Job." };
        var parallel = new Option<int?>("--parallel") { Description = "Trials at once (default: one per core; Sweep:Parallel)." };
        var sweeps = new Option<string?>("--sweeps") { Description = "The folder of sweep state (default .qforge/sweeps; QForge:Sweeps)." };
        var resumeSweep = new Option<string?>("--resume") { Description = "Continue a sweep, named by its id or its parent MLflow run id, skipping recorded trials." };
        var sweep = new Command("sweep", "Sweep hyperparameters: sweep [experiment] [--shard i/N] [--parallel N] [--Sweep:Space:Name=a,b,c | lo..hi[:n] | log:lo..hi[:n] | off] " +
            "[--Sweep:Strategy=grid|random|tpe --Sweep:Trials=N --Sweep:StartupTrials=N --Sweep:Seeds=1,2,3 --Sweep:Objective=return|success --Sweep:Direction=maximize|minimize] " +
            "[--Sweep:EarlyStopping=off|asha --Sweep:ReductionFactor=3 --Sweep:Rungs=3]. " +
            "Rerunning the same command, or sweep --resume <sweep id | parent run id>, resumes it. " + hyperparameterHelp)
        {
            shard, parallel, sweeps, resumeSweep,
        };
        sweep.TreatUnmatchedTokensAsErrors = false;
        sweep.SetAction((result, cancellationToken) => Sweeps.SweepCommand.RunAsync(context, result.UnmatchedTokens,
            result.GetValue(shard), result.GetValue(parallel), result.GetValue(sweeps), result.GetValue(resumeSweep)));

        var storeOption = new Option<string?>("--store") { Description = "The local MLflow file store to push from (default ./mlruns)." };
        var runOption = new Option<string?>("--run") { Description = "Push only this MLflow run id." };
        var push = new Command("push", "Send local MLflow runs (offline or spooled) to the server in MLFLOW_TRACKING_URI; pushing twice creates no duplicates.")
        {
            storeOption, runOption,
        };
        push.TreatUnmatchedTokensAsErrors = false;
        push.SetAction((result, cancellationToken) => PushCommand.RunAsync(context, result.UnmatchedTokens, result.GetValue(storeOption), result.GetValue(runOption)));

        var list = new Command("list", "List the experiments and every hyperparameter: type, default, valid range, sweep and description.");
        list.SetAction((result, cancellationToken) => ListCommand.RunAsync(context));

        return new RootCommand("A QForge experiment.") { train, evaluate, sweep, push, list };
    }

    /// <summary>
    /// Splits the tokens the verb did not recognise into the experiment name (a first token without a dash) and the
    /// configuration overrides, mapping shorthand keys into the <c>Training</c> section.
    /// </summary>
    internal static (string? Experiment, Dictionary<string, string?> Overrides) ParseOverrides(IReadOnlyList<string> tokens)
    {
        string? experiment = tokens.Count > 0 && !tokens[0].StartsWith('-') ? tokens[0] : null;
        var rest = tokens.Skip(experiment is null ? 0 : 1).ToArray();
        for (int i = 0; i < rest.Length; i++)
        {
            bool isKey = rest[i].StartsWith('-');
            bool expectsValue = i > 0 && rest[i - 1].StartsWith('-') && !rest[i - 1].Contains('=');
            if (!isKey && !expectsValue)
                throw new UsageException($"Unexpected argument '{rest[i]}': hyperparameters are written --Name value or --Name=value.");
        }
        var parsed = new ConfigurationBuilder().AddCommandLine(rest).Build();
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in parsed.AsEnumerable().Where(p => p.Value is not null))
        {
            // Host settings (--environment Staging) stay at the root, where the generic host reads them.
            bool hostKey = HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase);
            overrides[key.Contains(':') || hostKey ? key : $"{TrainingSection}:{key}"] = value;
        }
        return (experiment, overrides);
    }

    /// <summary>Builds the generic host with the overrides on top; a malformed settings file is a <see cref="UsageException"/>.</summary>
    internal static IHost BuildHost(CommandContext context, IReadOnlyDictionary<string, string?> overrides)
    {
        HostApplicationBuilder builder;
        try
        {
            builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                Args = [.. overrides.Where(p => p.Key.Equals("environment", StringComparison.OrdinalIgnoreCase)).Select(p => $"--environment={p.Value}")],
                ContentRootPath = AppContext.BaseDirectory,
            });
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(DescribeConfigurationError(e));
        }
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        context.Configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>"appsettings.json (line 3): ..." from the configuration system's nested exceptions.</summary>
    private static string DescribeConfigurationError(InvalidDataException error)
    {
        string file = error.Message;
        var inner = error.InnerException;
        while (inner is not null && inner is not JsonException) inner = inner.InnerException;
        string detail = inner is JsonException json
            ? string.Create(CultureInfo.InvariantCulture, $" (line {json.LineNumber + 1}): {json.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}")
            : error.InnerException is { } other ? ": " + other.Message : "";
        return $"{file}{detail}";
    }

    /// <summary>Finds the experiment named on the command line, in configuration, or the only one registered.</summary>
    internal static ExperimentDescriptor ResolveExperiment(string? name, IConfiguration configuration)
    {
        name ??= configuration[$"{QForgeSection}:Experiment"];
        if (name is not null) return ExperimentRegistry.Find(name);
        var all = ExperimentRegistry.All;
        return all.Count switch
        {
            1 => all[0],
            0 => throw new UsageException("This program registers no experiment; mark a class [Experiment(\"name\")]."),
            _ => throw new UsageException($"Name the experiment: {string.Join(", ", all.Select(d => d.Name))} (e.g. 'train {all[0].Name}')."),
        };
    }

    /// <summary>The host's logger and the state a command needs.</summary>
    internal sealed record CommandContext(Action<HostApplicationBuilder>? Configure, TextWriter Output);

    /// <summary>Which signal stopped the run, if any: SIGINT and SIGTERM cancel training instead of killing the process.</summary>
    internal sealed class SignalWatch : IDisposable
    {
        private readonly PosixSignalRegistration[] _registrations;
        private readonly CancellationTokenSource _cancellation = new();

        public SignalWatch()
        {
            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            ];
        }

        public CancellationToken Token => _cancellation.Token;

        public PosixSignal? Signal { get; private set; }

        public int ExitCode => Signal == PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

        private void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            Signal ??= context.Signal;
            _cancellation.Cancel();
        }

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            _cancellation.Dispose();
        }
    }
}
