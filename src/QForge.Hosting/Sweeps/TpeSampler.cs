using System.Globalization;

namespace QForge.Hosting.Sweeps;

/// <summary>
/// The tree-structured Parzen estimator (Bergstra et al. 2011, with Optuna's defaults): finished trials are split into
/// the best ceil(10%) (at most 25) and the rest; for each dimension independently, a Parzen density is fitted to each
/// group (truncated Gaussians for ranges, in log space for log ranges; smoothed counts for listed values), 24 candidates
/// are drawn from the good density and the one maximising good(x) / rest(x) is proposed. Trials stopped early count
/// among the rest; failed ones are ignored.
/// </summary>
internal static class TpeSampler
{
    /// <summary>Candidates drawn per dimension (Optuna's n_ei_candidates).</summary>
    public const int Candidates = 24;

    /// <summary>The most trials the good group holds (Optuna's default gamma caps it at 25).</summary>
    public const int MaxGood = 25;

    public static Trial Propose(SweepPlan plan, int index, IReadOnlyCollection<TrialResult> history)
    {
        // Sorting by index makes the proposal independent of the order in which parallel trials finished.
        var finished = history.Where(r => r.Status == RunStatus.Finished && double.IsFinite(r.Mean)).OrderBy(r => r.Index).ToList();
        if (finished.Count < plan.StartupTrials) return plan.RandomTrial(index);

        var ranked = (plan.Maximize ? finished.OrderByDescending(r => r.Mean) : finished.OrderBy(r => r.Mean)).ThenBy(r => r.Index).ToList();
        int goodCount = Math.Clamp((int)Math.Ceiling(0.1 * ranked.Count), 1, MaxGood);
        var good = ranked.Take(goodCount).ToList();
        var rest = ranked.Skip(goodCount)
            .Concat(history.Where(r => r.Status == RunStatus.Killed && r.StoppedReason is not null).OrderBy(r => r.Index)).ToList();

        var rng = Rng.ForStream(unchecked((ulong)plan.SweepSeed), (ulong)index);
        var values = new Dictionary<string, string>();
        foreach (var dimension in plan.Dimensions)
        {
            values[dimension.Name] = dimension.Kind == SweepKind.Values
                ? ProposeListed(dimension, Observed(good, dimension), Observed(rest, dimension), ref rng)
                : ProposeNumeric(dimension, Observed(good, dimension), Observed(rest, dimension), ref rng);
        }
        return new Trial(index, values);
    }

    private static List<string> Observed(List<TrialResult> results, SweepDimension dimension) =>
        results.Select(r => r.Values.GetValueOrDefault(dimension.Name)).OfType<string>().ToList();

    private static string ProposeListed(SweepDimension dimension, List<string> good, List<string> rest, ref Rng rng)
    {
        int count = dimension.Values.Count;
        double[] goodWeights = ListedWeights(dimension, good), restWeights = ListedWeights(dimension, rest);
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int c = 0; c < Candidates; c++)
        {
            double u = rng.NextDouble();
            int k = 0;
            while (k < count - 1 && (u -= goodWeights[k]) >= 0) k++;
            double score = Math.Log(goodWeights[k]) - Math.Log(restWeights[k]);
            if (score > bestScore) (best, bestScore) = (k, score);
        }
        return dimension.Values[best];
    }

    /// <summary>Observed counts plus a uniform prior of total weight one, normalised.</summary>
    private static double[] ListedWeights(SweepDimension dimension, List<string> observed)
    {
        int count = dimension.Values.Count;
        var weights = new double[count];
        Array.Fill(weights, 1.0 / count);
        foreach (string value in observed)
        {
            int k = IndexOf(dimension.Values, value);
            if (k >= 0) weights[k] += 1;
        }
        double total = weights.Sum();
        for (int k = 0; k < count; k++) weights[k] /= total;
        return weights;
    }

    private static int IndexOf(IReadOnlyList<string> values, string value)
    {
        for (int k = 0; k < values.Count; k++)
            if (values[k] == value) return k;
        return -1;
    }

    private static string ProposeNumeric(SweepDimension dimension, List<string> good, List<string> rest, ref Rng rng)
    {
        bool log = dimension.Kind == SweepKind.LogRange;
        // Integers own the interval of width one around them, so the ends are as likely as interior values.
        double low = log ? Math.Log(dimension.Min) : dimension.IsInteger ? dimension.Min - 0.5 : dimension.Min;
        double high = log ? Math.Log(dimension.Max) : dimension.IsInteger ? dimension.Max + 0.5 : dimension.Max;
        if (high <= low) return SweepPlan.Format(dimension, dimension.Min);

        var goodDensity = new ParzenDensity(Transform(good, log), low, high);
        var restDensity = new ParzenDensity(Transform(rest, log), low, high);
        double best = low, bestScore = double.NegativeInfinity;
        for (int c = 0; c < Candidates; c++)
        {
            double x = goodDensity.Sample(ref rng);
            double score = goodDensity.LogDensity(x) - restDensity.LogDensity(x);
            if (score > bestScore) (best, bestScore) = (x, score);
        }
        double value = Math.Clamp(log ? Math.Exp(best) : best, dimension.Min, dimension.Max);
        return SweepPlan.Format(dimension, value);
    }

    private static List<double> Transform(List<string> observed, bool log) =>
        observed.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : double.NaN)
            .Where(x => double.IsFinite(x) && (!log || x > 0)).Select(x => log ? Math.Log(x) : x).ToList();

    /// <summary>
    /// A mixture of Gaussians truncated to [low, high], one per observation plus a wide prior at the centre, all equally
    /// weighted; each observation's width is the larger gap to its neighbours, clipped to [range / min(100, n + 1), range].
    /// </summary>
    internal sealed class ParzenDensity
    {
        private readonly double[] _means, _sigmas, _logNormalisers;
        private readonly double _low, _high;

        public ParzenDensity(IReadOnlyList<double> observations, double low, double high)
        {
            _low = low;
            _high = high;
            double range = high - low;
            var means = observations.Select(x => Math.Clamp(x, low, high)).Append((low + high) / 2).ToArray();
            int n = means.Length;
            var order = Enumerable.Range(0, n).OrderBy(i => means[i]).ToArray();
            var sigmas = new double[n];
            double minSigma = range / Math.Min(100.0, n), maxSigma = range;
            for (int r = 0; r < n; r++)
            {
                int i = order[r];
                double left = means[i] - (r == 0 ? low : means[order[r - 1]]);
                double right = (r == n - 1 ? high : means[order[r + 1]]) - means[i];
                sigmas[i] = Math.Clamp(Math.Max(left, right), minSigma, maxSigma);
            }
            sigmas[n - 1] = range; // the prior
            _means = means;
            _sigmas = sigmas;
            _logNormalisers = new double[n];
            for (int i = 0; i < n; i++)
            {
                double mass = NormalCdf((high - means[i]) / sigmas[i]) - NormalCdf((low - means[i]) / sigmas[i]);
                _logNormalisers[i] = -Math.Log(Math.Max(mass, 1e-300) * sigmas[i] * n) - 0.5 * Math.Log(2 * Math.PI);
            }
        }

        public double Sample(ref Rng rng)
        {
            int i = rng.NextInt(_means.Length);
            for (int attempt = 0; attempt < 100; attempt++)
            {
                double x = _means[i] + _sigmas[i] * Gaussian(ref rng);
                if (x >= _low && x <= _high) return x;
            }
            return Math.Clamp(_means[i], _low, _high);
        }

        public double LogDensity(double x)
        {
            // log-sum-exp over the components.
            double max = double.NegativeInfinity;
            Span<double> terms = _means.Length <= 128 ? stackalloc double[_means.Length] : new double[_means.Length];
            for (int i = 0; i < _means.Length; i++)
            {
                double z = (x - _means[i]) / _sigmas[i];
                terms[i] = _logNormalisers[i] - 0.5 * z * z;
                max = Math.Max(max, terms[i]);
            }
            double sum = 0;
            foreach (double term in terms) sum += Math.Exp(term - max);
            return max + Math.Log(sum);
        }

        private static double Gaussian(ref Rng rng)
        {
            // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
            double u = 1 - rng.NextDouble(), v = rng.NextDouble();
            return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
        }
    }

    /// <summary>The standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; absolute error below 1.5e-7).</summary>
    internal static double NormalCdf(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
