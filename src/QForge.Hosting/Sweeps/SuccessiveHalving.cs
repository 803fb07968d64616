using System.Globalization;

namespace QForge.Hosting.Sweeps;

/// <summary>
/// The stopping rule of asynchronous successive halving (Li et al. 2018, as Optuna's SuccessiveHalvingPruner applies
/// it): a trial reporting its objective at a rung continues only if it ranks within the best floor(n / eta) of the n
/// values reported at that rung so far (its own included); while fewer than eta have reported, only the best so far
/// continues. Thread-safe: parallel trials report concurrently, so with several workers the decisions depend on which
/// trials reach a rung first.
/// </summary>
internal sealed class SuccessiveHalving(EarlyStopping rule, bool maximize)
{
    private readonly Dictionary<int, List<double>> _rungs = [];

    /// <summary>Adds a value reported before (a trial recorded by an earlier or another process) without deciding anything.</summary>
    public void Record(int rung, double value)
    {
        lock (_rungs) ValuesAt(rung).Add(value);
    }

    /// <summary>Records <paramref name="value"/> at <paramref name="rung"/> and returns null to continue, or why the trial stops.</summary>
    public string? Report(int rung, long budget, string unit, string objective, double value)
    {
        lock (_rungs)
        {
            var values = ValuesAt(rung);
            values.Add(value);
            if (double.IsNaN(value)) return $"early stopping (ASHA): at rung {rung + 1} ({budget} {unit}) the {objective} is NaN";
            var ordered = values.Where(v => !double.IsNaN(v)).OrderBy(v => maximize ? -v : v).ToList();
            int kept = Math.Max(1, values.Count / rule.ReductionFactor);
            double cutoff = ordered[Math.Min(kept, ordered.Count) - 1];
            bool continues = maximize ? value >= cutoff : value <= cutoff;
            if (continues) return null;
            int rank = ordered.FindIndex(v => v == value) + 1;
            return string.Create(CultureInfo.InvariantCulture,
                $"early stopping (ASHA): at rung {rung + 1} ({budget} {unit}) the {objective} {value:0.####} ranked {rank} of {values.Count}; the best {kept} continue (cutoff {cutoff:0.####})");
        }
    }

    private List<double> ValuesAt(int rung)
    {
        if (!_rungs.TryGetValue(rung, out var values)) _rungs[rung] = values = [];
        return values;
    }
}
