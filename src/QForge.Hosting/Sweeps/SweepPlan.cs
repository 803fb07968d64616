using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace QForge.Hosting.Sweeps;

/// <summary>How trials are chosen from the space.</summary>
public enum SweepStrategy
{
    /// <summary>Every combination of the dimensions' grid values.</summary>
    Grid,

    /// <summary>Independent uniform draws (log-uniform for log ranges) from a generator seeded by the sweep seed.</summary>
    Random,

    /// <summary>
    /// Tree-structured Parzen estimators (as in Hyperopt and Optuna): after <see cref="SweepPlan.StartupTrials"/> random
    /// trials, each new trial's values are the candidates most likely under the best trials' density relative to the rest's.
    /// </summary>
    Tpe,
}

/// <summary>
/// Early stopping by asynchronous successive halving (ASHA): each trial is evaluated greedily at <paramref name="Rungs"/>
/// intermediate budgets, 1/eta^k of its total for k = Rungs..1, and continues past a rung only while it ranks in the best
/// 1/<paramref name="ReductionFactor"/> of the trials that reached that rung.
/// </summary>
/// <param name="ReductionFactor">eta: the budget ratio between rungs, and 1/eta the fraction kept at each.</param>
/// <param name="Rungs">The number of intermediate evaluations.</param>
public sealed record EarlyStopping(int ReductionFactor, int Rungs)
{
    /// <summary>The budgets (in the session's unit) at which a trial with <paramref name="total"/> units is evaluated, ascending and below the total.</summary>
    public IReadOnlyList<long> Budgets(long total)
    {
        var budgets = new List<long>(Rungs);
        for (int k = Rungs; k >= 1; k--)
        {
            long budget = (long)Math.Ceiling(total / Math.Pow(ReductionFactor, k));
            if (budget >= 1 && budget < total && (budgets.Count == 0 || budget > budgets[^1])) budgets.Add(budget);
        }
        return budgets;
    }
}

/// <summary>One trial: its index in the plan and the hyperparameter values it sets.</summary>
public sealed record Trial(int Index, IReadOnlyDictionary<string, string> Values);

/// <summary>
/// A sweep's specification and its trial list. The list is a pure function of the specification, so N machines given
/// the same command run disjoint shares (<c>--shard i/N</c> takes the trials whose index is i modulo N) with no
/// coordinator, and the sweep's id (a hash of the specification) names the same folder everywhere.
/// </summary>
public sealed record SweepPlan(
    string Experiment,
    IReadOnlyList<SweepDimension> Dimensions,
    SweepStrategy Strategy,
    int RandomTrials,
    long SweepSeed,
    IReadOnlyList<long> Seeds,
    string Objective,
    bool Maximize,
    IReadOnlyDictionary<string, string> BaseSettings,
    int StartupTrials = 10,
    EarlyStopping? EarlyStopping = null)
{
    /// <summary>The objectives a sweep can rank by.</summary>
    public static readonly string[] Objectives = ["return", "success"];

    /// <summary>The sweep's id: 16 hex digits of a hash of its specification.</summary>
    public string Id
    {
        get
        {
            string canonical = JsonSerializer.Serialize(new
            {
                Experiment, Dimensions = Dimensions.Select(d => new { d.Name, Kind = d.Kind.ToString(), d.Values, d.Min, d.Max, d.Steps }),
                Strategy = Strategy.ToString(), RandomTrials, SweepSeed, Seeds, Objective, Maximize,
                StartupTrials = Strategy == SweepStrategy.Tpe ? StartupTrials : 0, EarlyStopping,
                BaseSettings = BaseSettings.OrderBy(p => p.Key, StringComparer.Ordinal),
            });
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        }
    }

    /// <summary>The number of trials: the grid's size, or <see cref="RandomTrials"/> for the random and TPE strategies.</summary>
    public int TrialCount => Strategy == SweepStrategy.Grid ? Dimensions.Aggregate(1, (product, d) => checked(product * d.GridValues().Count)) : RandomTrials;

    /// <summary>The objective of one seed's greedy evaluation.</summary>
    public double ObjectiveOf(Training.EvaluationResult evaluation) => Objective == "success" ? evaluation.SuccessRate : evaluation.MeanReturn;

    /// <summary>
    /// Every trial, in a deterministic order, for the grid and random strategies, whose trials do not depend on results.
    /// </summary>
    /// <exception cref="InvalidOperationException">The strategy is TPE: use <see cref="Propose"/>.</exception>
    public IReadOnlyList<Trial> Trials()
    {
        if (Strategy == SweepStrategy.Tpe) throw new InvalidOperationException("TPE trials depend on finished trials: call Propose for each.");
        if (Strategy == SweepStrategy.Random) return Enumerable.Range(0, RandomTrials).Select(RandomTrial).ToList();
        var grids = Dimensions.Select(d => d.GridValues()).ToList();
        var trials = new List<Trial>();
        int total = grids.Aggregate(1, (product, g) => checked(product * g.Count));
        for (int t = 0; t < total; t++)
        {
            var values = new Dictionary<string, string>();
            int rest = t;
            for (int d = Dimensions.Count - 1; d >= 0; d--)
            {
                values[Dimensions[d].Name] = grids[d][rest % grids[d].Count];
                rest /= grids[d].Count;
            }
            trials.Add(new Trial(t, values));
        }
        return trials;
    }

    /// <summary>
    /// The trial at <paramref name="index"/>: the planned one for grid and random; for TPE, a random draw while fewer than
    /// <see cref="StartupTrials"/> trials in <paramref name="history"/> have finished, then the TPE proposal. The proposal
    /// depends only on the index, the seed and the set of finished trials, not on the order they finished in.
    /// </summary>
    public Trial Propose(int index, IReadOnlyCollection<TrialResult> history) => Strategy switch
    {
        SweepStrategy.Grid => Trials()[index],
        SweepStrategy.Random => RandomTrial(index),
        _ => TpeSampler.Propose(this, index, history),
    };

    /// <summary>
    /// Trials that together try every dimension's listed values and range ends (the others at their first value), so
    /// that values the settings refuse are reported before a TPE sweep starts; grid and random plans check every trial.
    /// </summary>
    public IReadOnlyList<Trial> ValidationTrials()
    {
        if (Strategy != SweepStrategy.Tpe) return Trials();
        var firsts = Dimensions.ToDictionary(d => d.Name, d => d.GridValues()[0]);
        return Dimensions.SelectMany(d => (d.Kind == SweepKind.Values ? d.Values : d.GridValues().Take(1).Concat(d.GridValues().TakeLast(1)))
            .Select(v => new Trial(-1, new Dictionary<string, string>(firsts) { [d.Name] = v }))).ToList();
    }

    internal Trial RandomTrial(int index)
    {
        var rng = Rng.ForStream(unchecked((ulong)SweepSeed), (ulong)index);
        return new Trial(index, Dimensions.ToDictionary(d => d.Name, d => Draw(d, ref rng)));
    }

    /// <summary>A drawn value as a setting: integers rounded, others to 6 significant digits (finer than any sweep needs, and readable in tables).</summary>
    internal static string Format(SweepDimension dimension, double value) =>
        dimension.IsInteger ? Math.Round(value).ToString(CultureInfo.InvariantCulture) : value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Draw(SweepDimension dimension, ref Rng rng)
    {
        if (dimension.Kind == SweepKind.Values) return dimension.Values[rng.NextInt(dimension.Values.Count)];
        double value = dimension.Kind == SweepKind.LogRange
            ? Math.Exp(rng.NextDouble(Math.Log(dimension.Min), Math.Log(dimension.Max)))
            : rng.NextDouble(dimension.Min, dimension.Max);
        return Format(dimension, value);
    }

    /// <summary>
    /// Builds the plan from the experiment's declared sweep space and the <c>Sweep</c> configuration section:
    /// <c>Sweep:Space:Name</c> = <c>a,b,c</c> | <c>lo..hi</c> | <c>lo..hi:steps</c> | <c>log:lo..hi[:steps]</c> | <c>off</c>;
    /// <c>Sweep:Strategy</c> (grid, random, tpe), <c>Sweep:Trials</c>, <c>Sweep:StartupTrials</c> (TPE's random start),
    /// <c>Sweep:Seed</c>, <c>Sweep:Seeds</c> (1,2,3), <c>Sweep:Objective</c> (return, success), <c>Sweep:Direction</c>
    /// (maximize, minimize), <c>Sweep:EarlyStopping</c> (off, asha) with <c>Sweep:ReductionFactor</c> and <c>Sweep:Rungs</c>.
    /// </summary>
    /// <exception cref="UsageException">The space or an option is invalid; the message names it and what is allowed.</exception>
    public static SweepPlan From(ExperimentDescriptor experiment, IReadOnlyList<SweepDimension> declared, IConfiguration sweep, IConfiguration training)
    {
        var known = experiment.Hyperparameters.ToDictionary(h => h.Name, StringComparer.OrdinalIgnoreCase);
        var dimensions = declared.ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var entry in sweep.GetSection("Space").GetChildren())
        {
            if (!known.TryGetValue(entry.Key, out var parameter))
                throw new UsageException($"Sweep:Space:{entry.Key} names no hyperparameter of {experiment.Name}; known: {string.Join(", ", known.Keys.Order())}.");
            string text = entry.Value ?? "";
            if (text.Equals("off", StringComparison.OrdinalIgnoreCase)) dimensions.Remove(parameter.Name);
            else dimensions[parameter.Name] = ParseDimension(parameter, text);
        }
        if (dimensions.Count == 0)
            throw new UsageException($"The sweep space of {experiment.Name} is empty: declare [Sweep]/[SweepRange] on hyperparameters or set Sweep:Space:<Name>=v1,v2.");

        string strategyText = sweep["Strategy"] ?? "grid";
        if (!Enum.TryParse(strategyText, ignoreCase: true, out SweepStrategy strategy) || !Enum.IsDefined(strategy))
            throw new UsageException($"Sweep:Strategy = '{strategyText}' is not one of grid, random, tpe.");
        int trials = ParseInt(sweep, "Trials", 20, 1, 1_000_000);
        int startup = ParseInt(sweep, "StartupTrials", 10, 1, 1_000_000);
        long seed = ParseInt(sweep, "Seed", 0, 0, int.MaxValue);
        var seeds = (sweep["Seeds"] ?? "1").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw new UsageException($"Sweep:Seeds = '{sweep["Seeds"]}': '{s}' is not an integer.")).ToList();
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count) throw new UsageException($"Sweep:Seeds = '{sweep["Seeds"]}' must list distinct integers, e.g. 1,2,3.");
        string objective = (sweep["Objective"] ?? "return").ToLowerInvariant();
        if (!Objectives.Contains(objective)) throw new UsageException($"Sweep:Objective = '{objective}' is not one of {string.Join(", ", Objectives)}.");
        string direction = (sweep["Direction"] ?? "maximize").ToLowerInvariant();
        if (direction is not ("maximize" or "minimize")) throw new UsageException($"Sweep:Direction = '{direction}' is not maximize or minimize.");

        string stopping = (sweep["EarlyStopping"] ?? "off").ToLowerInvariant();
        if (stopping is not ("off" or "asha")) throw new UsageException($"Sweep:EarlyStopping = '{stopping}' is not off or asha.");
        var earlyStopping = stopping == "asha" ? new EarlyStopping(ParseInt(sweep, "ReductionFactor", 3, 2, 100), ParseInt(sweep, "Rungs", 3, 1, 10)) : null;

        var baseSettings = training.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);
        var ordered = dimensions.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        return new SweepPlan(experiment.Name, ordered, strategy, trials, seed, seeds, objective, direction == "maximize", baseSettings, startup, earlyStopping);
    }

    private static SweepDimension ParseDimension(HyperparameterInfo parameter, string text)
    {
        bool integer = parameter.Type is "int" or "long";
        bool numeric = integer || parameter.Type is "double" or "float";
        string body = text.Trim();
        bool log = body.StartsWith("log:", StringComparison.OrdinalIgnoreCase);
        if (log) body = body[4..];
        if (body.Contains(".."))
        {
            if (!numeric) throw new UsageException($"Sweep:Space:{parameter.Name} = '{text}': a range needs a numeric hyperparameter, not {parameter.Type}.");
            string[] stepsSplit = body.Split(':');
            string[] ends = stepsSplit[0].Split("..");
            if (ends.Length != 2 || !double.TryParse(ends[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double low)
                || !double.TryParse(ends[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double high))
                throw new UsageException($"Sweep:Space:{parameter.Name} = '{text}' is not a range; write lo..hi, lo..hi:steps or log:lo..hi.");
            int steps = 5;
            if (stepsSplit.Length > 1 && (!int.TryParse(stepsSplit[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out steps) || steps < 1))
                throw new UsageException($"Sweep:Space:{parameter.Name} = '{text}': the number of grid points must be a positive integer.");
            if (low > high) throw new UsageException($"Sweep:Space:{parameter.Name} = '{text}': the low end {low} is above the high end {high}.");
            if (log && low <= 0) throw new UsageException($"Sweep:Space:{parameter.Name} = '{text}': a log range needs positive ends, not {low}.");
            return new SweepDimension(parameter.Name, log ? SweepKind.LogRange : SweepKind.Range, [], low, high, steps, integer);
        }
        var values = body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (values.Length == 0) throw new UsageException($"Sweep:Space:{parameter.Name} is empty; list values as a,b,c.");
        return new SweepDimension(parameter.Name, SweepKind.Values, values, 0, 0, 0, integer);
    }

    private static int ParseInt(IConfiguration sweep, string key, int fallback, int min, int max) =>
        sweep[key] is not { } raw ? fallback
        : int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max ? value
        : throw new UsageException($"Sweep:{key} = '{raw}' must be an integer from {min} to {max}.");
}
