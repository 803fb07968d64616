using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace QForge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/QForge.Benchmarks -- tracking-paired [episodes] [rounds]</c>: the cases of
/// <see cref="TrackingOverheadBenchmarks"/> run in alternation (one of each per round, their order rotated), and each
/// tracked time divided by the untracked time of its own round. BenchmarkDotNet measures one case after the other, so
/// on a shared VM whose speed drifts over minutes a ratio of two of its medians can move by a few percent between runs;
/// a ratio within a round shares the drift, and its median over the rounds is steady to a fraction of a percent.
/// </summary>
/// <remarks>
/// Warm-up lasts until tiered compilation has settled (no method compiled for <see cref="SettledRounds"/> rounds in a
/// row and for <see cref="SettledTime"/>, at least <see cref="MinWarmupRounds"/> rounds): a tracked run calls ~500 methods that an untracked one does not,
/// most of them once per run, so they reach the optimising tier only after ~30-100 runs, and until then the JIT's
/// background thread competes with training and the writer for the machine's two cores, which showed as tracking cost.
/// The number of methods compiled during the measured rounds is printed (a few dozen: methods of the thread pool and
/// timers that tier up late). Each tracked run's folder is deleted after its case, untimed (see
/// <see cref="TrackingOverheadBenchmarks.DeleteLastRun"/>); <c>--keep-runs</c> keeps them all in the one store instead.
/// On Linux the command also prints the CPU time the other threads (the writer, the timer) used during a tracked run.
/// </remarks>
internal static class PairedTrackingOverhead
{
    private const int MinWarmupRounds = 30;
    private const int SettledRounds = 10;
    private static readonly TimeSpan SettledTime = TimeSpan.FromSeconds(2);
    private const int MaxWarmupRounds = 1000;
    // The cases below from this index on are tracked runs, whose phases are recorded.
    private const int FirstTracked = 3;

    public static int Run(string[] args)
    {
        bool keepRuns = args.Contains("--keep-runs");
        args = [.. args.Where(arg => arg != "--keep-runs")];
        if (args.Length > 2 || !TryPositive(args, 0, 200_000, out int episodes) || !TryPositive(args, 1, 41, out int rounds))
        {
            Console.Error.WriteLine("usage: tracking-paired [episodes (a positive integer, default 200000)] [rounds (a positive integer, default 41)] [--keep-runs (keep every tracked run's folder)]");
            return 2;
        }
        var benchmarks = new TrackingOverheadBenchmarks { Episodes = episodes };
        benchmarks.Setup();
        try
        {
            // Each tracked case is compared with the observed case that calls its observer the same way (a struct
            // inlined into the episode loop, or an interface call per episode, as the host's observers are).
            var cases = new (string Name, Func<long> Run, int Observed)[]
            {
                ("Untracked", benchmarks.Untracked, -1),
                ("Observed", benchmarks.Observed, -1),
                ("ObservedThroughInterface", benchmarks.ObservedThroughInterface, -1),
                ("Tracked", benchmarks.Tracked, 1),
                ("TrackedThroughInterface", benchmarks.TrackedThroughInterface, 2),
            };
            // Runs a case; returns its wall time, this thread's CPU time and the CPU time of the process's other threads
            // meanwhile (NaN where unknown).
            (double Milliseconds, double OwnCpu, double OtherCpu) Measure(int c)
            {
                var before = CpuMilliseconds();
                long started = Stopwatch.GetTimestamp();
                cases[c].Run();
                double milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var after = CpuMilliseconds();
                if (!keepRuns) benchmarks.DeleteLastRun();
                return (milliseconds, after.ThisThread - before.ThisThread, after.OtherThreads - before.OtherThreads);
            }
            int warmup = WarmUp(cases.Length, Measure);
            long compiledBefore = JitInfo.GetCompiledMethodCount();
            var milliseconds = cases.Select(_ => new List<double>()).ToArray();
            var ownCpu = cases.Select(_ => new List<double>()).ToArray();
            var phases = cases.Select(_ => new List<((TimeSpan Start, TimeSpan Train, TimeSpan End) Phases, double OtherCpu)>()).ToArray();
            for (int round = 0; round < rounds; round++)
            {
                var times = new double[cases.Length];
                for (int i = 0; i < cases.Length; i++)
                {
                    int c = (round + i) % cases.Length;
                    (times[c], double own, double otherCpu) = Measure(c);
                    ownCpu[c].Add(own);
                    if (c >= FirstTracked) phases[c].Add((benchmarks.LastPhases, otherCpu));
                }
                for (int c = 0; c < cases.Length; c++) milliseconds[c].Add(times[c]);
            }
            long compiledDuring = JitInfo.GetCompiledMethodCount() - compiledBefore;
            Console.WriteLine($"FrozenLake, {episodes} episodes, {rounds} rounds after {warmup} warm-up rounds ({compiledDuring} methods compiled while measuring), {(keepRuns ? "every run kept in the store" : "each tracked run's folder deleted after it")}");
            Console.WriteLine($"{"case",-24} {"median ms",10} {"ratio to Untracked, same round",32} {"ratio to observed alike, same round",36}");
            for (int c = 0; c < cases.Length; c++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{cases[c].Name,-24} {Quantile(milliseconds[c], 0.5),10:F2} {RatioSummary(milliseconds[c], milliseconds[0]),32} {(cases[c].Observed < 0 ? "" : RatioSummary(milliseconds[c], milliseconds[cases[c].Observed])),36}"));
            }
            // The same from the training thread's CPU time: the time the hypervisor gives other guests (steal, which on a
            // shared host moved the wall-time ratios by several percent from one run to the next) is not in it, nor is
            // time the thread waits (for the disk, say), which is in the wall times above.
            if (!double.IsNaN(ownCpu[0][0]))
            {
                Console.WriteLine($"{"training thread's CPU",-24} {"median ms",10} {"ratio to Untracked, same round",32} {"ratio to observed alike, same round",36}");
                for (int c = 0; c < cases.Length; c++)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{cases[c].Name,-24} {Quantile(ownCpu[c], 0.5),10:F2} {RatioSummary(ownCpu[c], ownCpu[0]),32} {(cases[c].Observed < 0 ? "" : RatioSummary(ownCpu[c], ownCpu[cases[c].Observed])),36}"));
                }
            }
            // Where a tracked run's extra time goes: its fixed cost (start and end, in microseconds: steadier than the
            // ratios), its training phase against the untracked run of the same round, and what the other threads (the
            // writer, above all) spent on the machine's other core.
            // The training phase against the observed run alike is the per-episode cost of logging alone: no start or end.
            Console.WriteLine($"{"tracked run phases",-24} {"start us",10} {"end us",10} {"training ratio to untracked, same round",42} {"training ratio to observed alike",34} {"other threads' CPU ms",22}");
            for (int c = FirstTracked; c < cases.Length; c++)
            {
                var training = phases[c].Select(p => p.Phases.Train.TotalMilliseconds).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{cases[c].Name,-24} {Quantile(phases[c].Select(p => p.Phases.Start.TotalMicroseconds).ToList(), 0.5),10:F0} {Quantile(phases[c].Select(p => p.Phases.End.TotalMicroseconds).ToList(), 0.5),10:F0} {RatioSummary(training, milliseconds[0]),42} {RatioSummary(training, milliseconds[cases[c].Observed]),34} {Quantile(phases[c].Select(p => p.OtherCpu).ToList(), 0.5),22:F1}"));
            }
            return 0;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    /// <summary>Runs rounds of the <paramref name="cases"/> cases until tiered compilation has settled; returns how many it ran.</summary>
    private static int WarmUp(int cases, Func<int, (double, double, double)> measure)
    {
        long compiled = -1, lastCompiled = Stopwatch.GetTimestamp();
        int round = 0, settled = 0;
        // Settled for some rounds and for a while: short rounds (10,000 episodes take ~25 ms) pass faster than tiered
        // compilation's batches (it waits for 100 ms without new first-tier methods before counting calls).
        while (round < MaxWarmupRounds && (round < MinWarmupRounds || settled < SettledRounds || Stopwatch.GetElapsedTime(lastCompiled) < SettledTime))
        {
            for (int c = 0; c < cases; c++) measure(c);
            round++;
            long now = JitInfo.GetCompiledMethodCount();
            if (now == compiled)
            {
                settled++;
            }
            else
            {
                settled = 0;
                lastCompiled = Stopwatch.GetTimestamp();
            }
            compiled = now;
        }
        return round;
    }

    /// <summary>
    /// The CPU time of this thread and of the process's other threads, in milliseconds (this thread's from
    /// /proc/thread-self/schedstat, whose run time leaves out stolen time on kernels that account for it; so Linux only,
    /// NaN elsewhere).
    /// </summary>
    private static (double ThisThread, double OtherThreads) CpuMilliseconds()
    {
        const string ThisThread = "/proc/thread-self/schedstat";
        if (!File.Exists(ThisThread)) return (double.NaN, double.NaN);
        double thisThread = long.Parse(File.ReadAllText(ThisThread).Split(' ')[0], CultureInfo.InvariantCulture) / 1e6;
        using var process = Process.GetCurrentProcess();
        return (thisThread, process.TotalProcessorTime.TotalMilliseconds - thisThread);
    }

    /// <summary>The ratios of <paramref name="times"/> to <paramref name="baseline"/> of the same rounds: "median (q1, q3)".</summary>
    private static string RatioSummary(List<double> times, List<double> baseline)
    {
        var ratios = times.Zip(baseline, (time, reference) => time / reference).ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{Quantile(ratios, 0.5):F4} ({Quantile(ratios, 0.25):F4}, {Quantile(ratios, 0.75):F4})");
    }

    private static bool TryPositive(string[] args, int index, int fallback, out int value)
    {
        value = fallback;
        return args.Length <= index || int.TryParse(args[index], NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Round(q * (sorted.Count - 1))];
    }
}
