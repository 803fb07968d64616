using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QForge.Exploration;
using QForge.Serialization;
using QForge.Training;

namespace QForge.Tabular;

/// <summary>
/// Tabular Q-learning with epsilon-greedy exploration, online or with experience replay, for any discrete
/// environment. The class is generic over the environment struct, so the JIT compiles one loop per environment with
/// its step inlined and its action count a constant: a training step makes no call through an interface and
/// allocates nothing.
/// </summary>
/// <remarks>
/// The update is <c>Q(s,a) += alpha * (target - Q(s,a))</c> with <c>target = r</c> on a terminated transition and
/// <c>r + gamma * max_a' Q(s',a')</c> otherwise; a transition truncated by the time limit bootstraps.
/// With replay, each step stores its transition and then updates a minibatch of stored transitions sampled uniformly.
/// </remarks>
/// <typeparam name="TEnv">The environment.</typeparam>
public sealed class QLearningTrainer<TEnv> where TEnv : struct, IDiscreteEnvironment<TEnv>
{
    private readonly TransitionBuffer? _replay;
    private readonly float _alpha;
    private readonly float _gamma;
    private readonly int _batchSize;
    private readonly EpsilonSchedule _exploration;
    private readonly int _maxEpisodeSteps;
    private TEnv _environment;
    private Rng _rng;

    /// <summary>Creates a trainer with a fresh table.</summary>
    /// <param name="settings">The hyperparameters; validated here.</param>
    /// <param name="environment">The environment instance (its configuration, e.g. a map); <c>default</c> when it has none.</param>
    /// <exception cref="ArgumentException">The settings are invalid; the message lists every problem.</exception>
    public QLearningTrainer(QLearningSettings settings, TEnv environment = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.EnsureValid();
        Settings = settings;
        _environment = environment;
        _alpha = (float)settings.LearningRate;
        _gamma = (float)settings.DiscountFactor;
        _batchSize = settings.ReplayBatchSize;
        _exploration = settings.Exploration;
        _maxEpisodeSteps = TEnv.MaxEpisodeSteps > 0 ? TEnv.MaxEpisodeSteps : int.MaxValue;
        _rng = new Rng(unchecked((ulong)settings.Seed));
        Table = new QTable(TEnv.StateCount, TEnv.ActionCount, (float)settings.InitialQ);
        _replay = settings.ReplayCapacity > 0 ? new TransitionBuffer(settings.ReplayCapacity) : null;
    }

    /// <summary>The hyperparameters.</summary>
    public QLearningSettings Settings { get; }

    /// <summary>The learned action values.</summary>
    public QTable Table { get; }

    /// <summary>Episodes trained so far.</summary>
    public long Episode { get; private set; }

    /// <summary>Environment steps taken in training so far.</summary>
    public long TotalSteps { get; private set; }

    /// <summary>The state of the training random generator (for checkpoints).</summary>
    public RngState RngState => _rng.State;

    /// <summary>
    /// Trains until <see cref="QLearningSettings.Episodes"/> episodes have run in total (or <paramref name="episodes"/>
    /// more, when given), reporting each episode to <paramref name="observer"/>. Stops at the next episode boundary when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public TrainingSummary Train(ITrainingObserver? observer = null, long? episodes = null, CancellationToken cancellationToken = default)
    {
        if (observer is null)
        {
            var none = default(NoObserver);
            return Train(ref none, episodes, cancellationToken);
        }
        var forward = new ObserverReference(observer);
        return Train(ref forward, episodes, cancellationToken);
    }

    /// <summary>
    /// <see cref="Train(ITrainingObserver?, long?, CancellationToken)"/> with an observer struct: the JIT compiles the
    /// episode loop for <typeparamref name="TObserver"/> and inlines its <see cref="ITrainingObserver.OnEpisodeEnd"/>, so
    /// reporting an episode costs what the observer's own code costs and no interface call (a FrozenLake episode is
    /// well under a microsecond, so a call per episode shows).
    /// </summary>
    /// <typeparam name="TObserver">The observer; its state lives in <paramref name="observer"/>, which is updated in place.</typeparam>
    public TrainingSummary Train<TObserver>(ref TObserver observer, long? episodes = null, CancellationToken cancellationToken = default)
        where TObserver : struct, ITrainingObserver
    {
        long target = episodes is { } n ? Episode + n : Settings.Episodes;
        long startSteps = TotalSteps, startEpisode = Episode;
        long started = Stopwatch.GetTimestamp();
        var rate = new StepRate(startSteps);
        var rng = _rng;
        var environment = _environment;
        bool cancelled = false;
        try
        {
            while (Episode < target)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }

                // The episode explores with the float nearest the schedule's value; the report carries the schedule's
                // value itself (0.05, not the float's 0.05000000074505806).
                double scheduled = _exploration.ValueAt(Episode);
                float epsilon = (float)scheduled;
                EpisodeOutcome outcome = _replay is null
                    ? RunOnlineEpisode(ref environment, ref rng, epsilon)
                    : RunReplayEpisode(ref environment, ref rng, epsilon, _replay);
                TotalSteps += outcome.Length;
                // A constant test per instantiation: with no observer, no report is built and the clock is not read.
                if (typeof(TObserver) != typeof(NoObserver))
                {
                    observer.OnEpisodeEnd(new EpisodeReport(Episode, outcome.Return, outcome.Length, scheduled,
                        outcome.Terminated, outcome.Success, TotalSteps, rate.At(TotalSteps)));
                }
                Episode++;
            }
        }
        finally
        {
            _rng = rng;
            _environment = environment;
        }
        return new TrainingSummary(Episode - startEpisode, TotalSteps - startSteps, Stopwatch.GetElapsedTime(started), cancelled);
    }

    /// <summary>The value of the <c>format</c> metadata entry of a tabular checkpoint.</summary>
    public const string CheckpointFormat = "qforge.checkpoint.tabular.v1";

    /// <summary>
    /// Writes everything needed to continue training exactly (the table, the generator, the counters, the replay
    /// buffer and the settings) to <paramref name="path"/>, atomically, as a safetensors file. Checkpoints are taken at
    /// episode boundaries, where the environment is fully re-initialised by its next Reset.
    /// </summary>
    public void SaveCheckpoint(string path) => SafeTensors.WriteAtomically(path, WriteCheckpoint);

    /// <summary>Writes the checkpoint <see cref="SaveCheckpoint"/> saves to <paramref name="stream"/> (safetensors bytes).</summary>
    public void WriteCheckpoint(Stream stream)
    {
        var tensors = new List<Tensor> { QTableFile.ToTensor(Table) };
        var metadata = CheckpointMetadata.Create(CheckpointFormat, TEnv.Name, _rng.State, Settings.ToParameters());
        metadata["episode"] = Episode.ToString(CultureInfo.InvariantCulture);
        metadata["total_steps"] = TotalSteps.ToString(CultureInfo.InvariantCulture);
        if (_replay is { } replay)
        {
            int count = replay.Count;
            tensors.Add(Tensor.Int32("replay.state", [count], replay.States.AsSpan(0, count)));
            tensors.Add(Tensor.Int32("replay.action", [count], replay.Actions.AsSpan(0, count)));
            tensors.Add(Tensor.Float32("replay.reward", [count], replay.Rewards.AsSpan(0, count)));
            tensors.Add(Tensor.UInt8("replay.terminated", [count], replay.TerminatedFlags.AsSpan(0, count).ToArray().Select(b => b ? (byte)1 : (byte)0).ToArray()));
            tensors.Add(Tensor.Int32("replay.next_state", [count], replay.NextStates.AsSpan(0, count)));
            metadata["replay_next"] = replay.NextPosition.ToString(CultureInfo.InvariantCulture);
        }
        SafeTensors.Write(stream, tensors, metadata);
    }

    /// <summary>
    /// Continues training from a checkpoint written by <see cref="SaveCheckpoint"/>: the result of training on is
    /// bit-identical to a run that was never interrupted. <paramref name="settings"/> must equal the checkpoint's,
    /// except <see cref="QLearningSettings.Episodes"/>, which may be raised.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this environment, or its settings differ; the message says which.</exception>
    public static QLearningTrainer<TEnv> Resume(string path, QLearningSettings settings, TEnv environment = default)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        var rng = CheckpointMetadata.Verify(metadata, path, CheckpointFormat, TEnv.Name, settings.ToParameters(), nameof(QLearningSettings.Episodes));
        string Meta(string key) => CheckpointMetadata.Get(metadata, key, path);
        Tensor Get(string name) => CheckpointMetadata.Tensor(tensors, name, path);
        var trainer = new QLearningTrainer<TEnv>(settings, environment);
        var table = QTableFile.FromTensor(Get(QTableFile.TensorName), path);
        if (table.StateCount != TEnv.StateCount || table.ActionCount != TEnv.ActionCount)
            throw new InvalidDataException($"'{path}': the table is {table.StateCount} x {table.ActionCount}; {TEnv.Name} needs {TEnv.StateCount} x {TEnv.ActionCount}.");
        trainer.Table.CopyFrom(table.ToArray());
        trainer._rng = new Rng(rng);
        trainer.Episode = CheckpointMetadata.GetInt64(metadata, "episode", path);
        trainer.TotalSteps = CheckpointMetadata.GetInt64(metadata, "total_steps", path);
        if (trainer._replay is { } replay)
        {
            replay.Restore(Get("replay.state").Shape[0], int.Parse(Meta("replay_next"), CultureInfo.InvariantCulture),
                Get("replay.state").ToInt32(), Get("replay.action").ToInt32(), Get("replay.reward").ToFloat32(),
                Get("replay.terminated").ToUInt8(), Get("replay.next_state").ToInt32());
        }
        return trainer;
    }

    /// <summary>
    /// Runs <paramref name="episodes"/> greedy episodes (ties broken at random) with a generator seeded from
    /// <paramref name="seed"/>, independent of the training generator, and summarises them.
    /// </summary>
    public EvaluationResult Evaluate(int episodes, long seed) => Evaluate(Table, episodes, seed, _environment);

    /// <summary>Greedy evaluation of <paramref name="table"/> on <paramref name="environment"/> (see <see cref="Evaluate(int, long)"/>).</summary>
    public static EvaluationResult Evaluate(QTable table, int episodes, long seed, TEnv environment = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(episodes);
        if (table.StateCount != TEnv.StateCount || table.ActionCount != TEnv.ActionCount)
            throw new ArgumentException($"The table is {table.StateCount} x {table.ActionCount}; {TEnv.Name} needs {TEnv.StateCount} x {TEnv.ActionCount}.", nameof(table));
        var rng = Rng.ForStream(unchecked((ulong)seed), 0xE7A1);
        int maxSteps = TEnv.MaxEpisodeSteps > 0 ? TEnv.MaxEpisodeSteps : int.MaxValue;
        var summary = new EvaluationSummary();
        for (int e = 0; e < episodes; e++)
        {
            int state = environment.ResetState(ref rng);
            double episodeReturn = 0;
            int length = 0;
            bool success = false;
            while (length < maxSteps)
            {
                int action = table.GreedyAction(state, ref rng);
                DiscreteStep step = environment.StepState(action, ref rng);
                episodeReturn += step.Reward;
                length++;
                state = step.State;
                success = step.Success;
                if (step.Terminated || step.Truncated) break;
            }
            summary.Add(episodeReturn, length, success);
        }
        return summary.Result();
    }

    private EpisodeOutcome RunOnlineEpisode(ref TEnv environmentRef, ref Rng rngRef, float epsilon)
    {
        var table = new TableView(Table);
        ulong exploreBelow = ExploreThreshold(epsilon);
        float alpha = _alpha, gamma = _gamma;
        int maxSteps = _maxEpisodeSteps;

        // Work on local copies so the JIT keeps the generator and the environment in registers rather than
        // read-modify-writing them through the caller's references on every draw.
        Rng rng = rngRef;
        TEnv environment = environmentRef;
        int state = table.Check(environment.ResetState(ref rng));
        double episodeReturn = 0;
        int length = 0;
        DiscreteStep step = default;
        while (length < maxSteps)
        {
            int action = table.SelectAction(state, exploreBelow, ref rng);
            step = environment.StepState(action, ref rng);
            int next = table.Check(step.State);
            float target = step.Terminated ? step.Reward : step.Reward + gamma * table.Max(next);
            table.Update(state, action, alpha, target);
            episodeReturn += step.Reward;
            length++;
            state = next;
            if (step.Terminated || step.Truncated) break;
        }
        rngRef = rng;
        environmentRef = environment;
        return new EpisodeOutcome(episodeReturn, length, step.Terminated, step.Success);
    }

    private EpisodeOutcome RunReplayEpisode(ref TEnv environmentRef, ref Rng rngRef, float epsilon, TransitionBuffer replay)
    {
        var table = new TableView(Table);
        ulong exploreBelow = ExploreThreshold(epsilon);
        float alpha = _alpha, gamma = _gamma;
        int maxSteps = _maxEpisodeSteps, batch = _batchSize;
        int[] states = replay.States, actions = replay.Actions, nextStates = replay.NextStates;
        float[] rewards = replay.Rewards;
        bool[] terminated = replay.TerminatedFlags;

        // Work on local copies so the JIT keeps the generator and the environment in registers rather than
        // read-modify-writing them through the caller's references on every draw.
        Rng rng = rngRef;
        TEnv environment = environmentRef;
        int state = table.Check(environment.ResetState(ref rng));
        double episodeReturn = 0;
        int length = 0;
        DiscreteStep step = default;
        while (length < maxSteps)
        {
            int action = table.SelectAction(state, exploreBelow, ref rng);
            step = environment.StepState(action, ref rng);
            int next = table.Check(step.State);
            replay.Add(state, action, step.Reward, step.Terminated, next);
            for (int i = 0; i < batch; i++)
            {
                int j = replay.SampleIndex(ref rng);
                float target = terminated[j] ? rewards[j] : rewards[j] + gamma * table.Max(nextStates[j]);
                table.Update(states[j], actions[j], alpha, target);
            }
            episodeReturn += step.Reward;
            length++;
            state = next;
            if (step.Terminated || step.Truncated) break;
        }
        rngRef = rng;
        environmentRef = environment;
        return new EpisodeOutcome(episodeReturn, length, step.Terminated, step.Success);
    }

    /// <summary>The exploration test as an integer compare: explore when the top 24 bits of a draw fall below this.</summary>
    private static ulong ExploreThreshold(float epsilon) => (ulong)Math.Ceiling(epsilon * (double)(1 << 24));

    /// <summary>The table's values as seen by the hot loop, with the action count a JIT constant.</summary>
    private readonly ref struct TableView(QTable table)
    {
        private readonly ref float _values = ref MemoryMarshal.GetArrayDataReference(table.Values);
        private readonly QTable _table = table;

        private static int Stride => QRow.Stride(TEnv.ActionCount);

        /// <summary>Returns <paramref name="state"/> after checking it is inside the space (a bad environment must not corrupt memory).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Check(int state)
        {
            if ((uint)state >= (uint)TEnv.StateCount) _table.ThrowStateOutOfRange(state);
            return state;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Max(int state) => QRow.Max(ref Row(state), TEnv.ActionCount);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ref float Row(int state) => ref Unsafe.Add(ref _values, (nint)state * Stride);

        /// <summary>
        /// Epsilon-greedy: one 64-bit draw gives both the exploration test (top 24 bits) and the random action (low 32
        /// bits, Lemire's multiply-shift; its bias is below ActionCount / 2^32). Greedy ties cost a second draw.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int SelectAction(int state, ulong exploreBelow, ref Rng rng)
        {
            ulong bits = rng.NextUInt64();
            if ((bits >> 40) < exploreBelow)
                return (int)(((bits & 0xFFFF_FFFFUL) * (ulong)TEnv.ActionCount) >> 32);
            return QRow.ArgMax(ref Row(state), TEnv.ActionCount, ref rng);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Update(int state, int action, float alpha, float target)
        {
            ref float value = ref Unsafe.Add(ref Row(state), action);
            value += alpha * (target - value);

        }
    }

    private readonly record struct EpisodeOutcome(double Return, int Length, bool Terminated, bool Success);
}
