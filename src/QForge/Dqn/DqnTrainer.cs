using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using QForge.Neural;
using QForge.Serialization;
using QForge.Training;

namespace QForge.Dqn;

/// <summary>
/// Deep Q-learning (Mnih et al. 2015) as CleanRL's <c>dqn.py</c> runs it: an online MLP over the environment's
/// features, a target network refreshed every C steps (hard, or softly with tau), uniform experience replay of the
/// last N transitions in minibatches, epsilon decaying linearly over a fraction of the steps; with Double DQN, Huber
/// loss, gradient clipping, learning starts, train frequency, several gradient steps per phase and vectorised
/// environments. Generic over the environment struct, so stepping and feature writing inline; nothing allocates per step.
/// </summary>
/// <remarks>
/// Transitions store <c>terminated</c> apart from <c>truncated</c>: a time-limited transition keeps its real next
/// observation and bootstraps from it.
/// </remarks>
public sealed class DqnTrainer<TEnv> where TEnv : struct, IFeatureEnvironment<TEnv>
{
    private readonly TEnv[] _environments;
    private readonly float[] _observations;
    private readonly float[] _nextObservations;
    private readonly double[] _episodeReturns;
    private readonly int[] _episodeLengths;
    private readonly int[] _actions;
    private readonly DqnReplayBuffer _replay;
    private readonly float[] _batchObservations;
    private readonly float[] _batchNext;
    private readonly int[] _batchActions;
    private readonly float[] _batchRewards;
    private readonly bool[] _batchTerminated;
    private readonly float[] _targets;
    private readonly int[] _nextActions;
    private readonly float _gamma;
    private readonly float _maxGradNorm;
    private readonly int _maxEpisodeSteps;
    private readonly TEnv _evaluationEnvironment;
    private Rng _rng;
    private long _episodes;

    /// <summary>Creates a trainer; <paramref name="createEnvironment"/> makes copy i of the environment (default: <c>default(TEnv)</c>).</summary>
    /// <exception cref="HyperparameterException">The settings are invalid.</exception>
    public DqnTrainer(DqnSettings settings, Func<int, TEnv>? createEnvironment = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.EnsureValid();
        Settings = settings;
        _rng = new Rng(unchecked((ulong)settings.Seed));
        int features = TEnv.FeatureCount, count = settings.EnvironmentCount, batch = settings.BatchSize;
        Online = new Mlp(features, settings.HiddenLayerSizes, TEnv.ActionCount, Math.Max(batch, count), ref _rng);
        Target = new Mlp(features, settings.HiddenLayerSizes, TEnv.ActionCount, batch, ref _rng);
        Target.CopyFrom(Online);
        Optimizer = new Optimizer(settings.Optimizer, (float)settings.LearningRate, Online.PaddedParameterCount);
        _environments = Enumerable.Range(0, count).Select(i => createEnvironment?.Invoke(i) ?? default).ToArray();
        _evaluationEnvironment = createEnvironment?.Invoke(0) ?? default;
        _observations = new float[count * features];
        _nextObservations = new float[count * features];
        _episodeReturns = new double[count];
        _episodeLengths = new int[count];
        _actions = new int[count];
        _replay = new DqnReplayBuffer(settings.BufferSize, features);
        _batchObservations = new float[batch * features];
        _batchNext = new float[batch * features];
        _batchActions = new int[batch];
        _batchRewards = new float[batch];
        _batchTerminated = new bool[batch];
        _targets = new float[batch];
        _nextActions = new int[batch];
        _gamma = (float)settings.DiscountFactor;
        _maxGradNorm = (float)settings.MaxGradNorm;
        _maxEpisodeSteps = TEnv.MaxEpisodeSteps > 0 ? TEnv.MaxEpisodeSteps : int.MaxValue;
        for (int i = 0; i < count; i++)
            _environments[i].ResetFeatures(ref _rng, _observations.AsSpan(i * features, features));
    }

    /// <summary>The hyperparameters.</summary>
    public DqnSettings Settings { get; }

    /// <summary>The network being trained.</summary>
    public Mlp Online { get; }

    /// <summary>The target network.</summary>
    public Mlp Target { get; }

    /// <summary>The optimiser of <see cref="Online"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Environment steps taken.</summary>
    public long Step { get; private set; }

    /// <summary>Gradient steps taken.</summary>
    public long Updates { get; private set; }

    /// <summary>The loss of the latest gradient step.</summary>
    public float LastLoss { get; private set; }

    /// <summary>The mean Q(s, a) of the latest minibatch.</summary>
    public float LastMeanQ { get; private set; }

    /// <summary>Epsilon at environment step <paramref name="step"/>: linear from start to end over ExplorationFraction of the steps.</summary>
    public double EpsilonAt(long step)
    {
        double duration = Settings.ExplorationFraction * Settings.TotalSteps;
        if (duration <= 0) return Settings.EpsilonEnd;
        double slope = (Settings.EpsilonEnd - Settings.EpsilonStart) / duration;
        return Math.Max(slope * step + Settings.EpsilonStart, Settings.EpsilonEnd);
    }

    /// <summary>Trains until <see cref="DqnSettings.TotalSteps"/> (or <paramref name="steps"/> more), reporting each finished episode.</summary>
    public TrainingSummary Train(ITrainingObserver? observer = null, long? steps = null, CancellationToken cancellationToken = default)
    {
        long target = steps is { } n ? Math.Min(Step + n, Settings.TotalSteps) : Settings.TotalSteps;
        long startStep = Step, startEpisodes = _episodes;
        long started = Stopwatch.GetTimestamp();
        var rate = new StepRate(startStep);
        int count = _environments.Length, features = TEnv.FeatureCount;
        bool cancelled = false;
        while (Step < target)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }
            double epsilon = EpsilonAt(Step);
            SelectActions(epsilon);
            for (int i = 0; i < count; i++)
            {
                Span<float> next = _nextObservations.AsSpan(i * features, features);
                FeatureStep result = _environments[i].StepFeatures(_actions[i], ref _rng, next);
                _episodeReturns[i] += result.Reward;
                _episodeLengths[i]++;
                bool truncated = result.Truncated || _episodeLengths[i] >= _maxEpisodeSteps;
                _replay.Add(_observations.AsSpan(i * features, features), _actions[i], result.Reward, result.Terminated, next);
                Span<float> current = _observations.AsSpan(i * features, features);
                if (result.Terminated || truncated)
                {
                    if (observer is not null)
                    {
                        observer.OnEpisodeEnd(new EpisodeReport(_episodes, _episodeReturns[i], _episodeLengths[i], epsilon, result.Terminated,
                            result.Success, Step + i + 1, rate.At(Step + i + 1)));
                    }
                    _episodes++;
                    _episodeReturns[i] = 0;
                    _episodeLengths[i] = 0;
                    _environments[i].ResetFeatures(ref _rng, current);
                }
                else
                {
                    next.CopyTo(current);
                }
            }
            long globalStep = Step;
            Step += count;
            if (Settings.EvaluationInterval > 0 && observer is not null && Step / Settings.EvaluationInterval != globalStep / Settings.EvaluationInterval)
                observer.OnEvaluation(Step, Evaluate(Settings.EvaluationEpisodes, Settings.Seed + Step, _evaluationEnvironment));
            if (globalStep > Settings.LearningStarts)
            {
                if (globalStep % Settings.TrainFrequency < count)
                {
                    for (int g = 0; g < Settings.GradientSteps; g++)
                    {
                        GradientStep();
                        observer?.OnUpdate(Updates, Step, LastLoss, LastMeanQ);
                    }
                }
                if (globalStep % Settings.TargetUpdateInterval < count)
                {
                    if (Settings.Tau >= 1) Target.CopyFrom(Online);
                    else Target.SoftUpdateFrom(Online, (float)Settings.Tau);
                }
            }
        }
        return new TrainingSummary(_episodes - startEpisodes, Step - startStep, Stopwatch.GetElapsedTime(started), cancelled);
    }

    /// <summary>Epsilon-greedy actions for every environment copy: one batched forward pass, one draw per copy.</summary>
    private void SelectActions(double epsilon)
    {
        int count = _environments.Length;
        bool anyGreedy = false;
        for (int i = 0; i < count; i++)
        {
            if (_rng.NextDouble() < epsilon) _actions[i] = _rng.NextInt(TEnv.ActionCount);
            else
            {
                _actions[i] = -1;
                anyGreedy = true;
            }
        }
        if (!anyGreedy) return;
        var q = Online.Forward(_observations, count);
        for (int i = 0; i < count; i++)
            if (_actions[i] < 0) _actions[i] = ArgMax(q.Slice(i * Online.OutputStride, TEnv.ActionCount));
    }

    private Action? _targetForward;

    private void GradientStep()
    {
        int batch = Settings.BatchSize, features = TEnv.FeatureCount, stride = Online.OutputStride;
        _replay.Sample(ref _rng, batch, _batchObservations, _batchActions, _batchRewards, _batchTerminated, _batchNext);

        // The target network's pass over the next states runs on the side thread while this one runs the online
        // network's passes; the two touch disjoint buffers, so the result is the same either way.
        var side = SideThread.Begin(_targetForward ??= () => Target.Forward(_batchNext, Settings.BatchSize));
        ReadOnlySpan<float> q;
        try
        {
            if (Settings.DoubleDqn)
            {
                var online = Online.Forward(_batchNext, batch);
                for (int b = 0; b < batch; b++) _nextActions[b] = ArgMax(online.Slice(b * stride, TEnv.ActionCount));
            }
            q = Online.Forward(_batchObservations, batch);
        }
        finally
        {
            side?.Join();
        }
        var next = Target.Output(batch);
        for (int b = 0; b < batch; b++)
        {
            var row = next.Slice(b * stride, TEnv.ActionCount);
            float value = Settings.DoubleDqn ? row[_nextActions[b]] : row[ArgMax(row)];
            _targets[b] = _batchRewards[b] + (_batchTerminated[b] ? 0f : _gamma * value);
        }

        Span<float> gradient = Online.OutputGradient(batch);
        gradient.Clear();
        double loss = 0, sumQ = 0;
        for (int b = 0; b < batch; b++)
        {
            float predicted = q[b * stride + _batchActions[b]];
            float error = predicted - _targets[b];
            sumQ += predicted;
            if (Settings.Loss == DqnLoss.Huber)
            {
                float absolute = MathF.Abs(error);
                loss += absolute < 1f ? 0.5 * error * error : absolute - 0.5;
                gradient[b * stride + _batchActions[b]] = Math.Clamp(error, -1f, 1f) / batch;
            }
            else
            {
                loss += error * error;
                gradient[b * stride + _batchActions[b]] = 2f * error / batch;
            }
        }
        Online.Backward(batch);
        Online.ApplyGradients(Optimizer, _maxGradNorm);
        Updates++;
        LastLoss = (float)(loss / batch);
        LastMeanQ = (float)(sumQ / batch);
    }

    /// <summary>
    /// Runs <paramref name="episodes"/> greedy episodes on a fresh copy of environment 0 with a generator seeded from
    /// <paramref name="seed"/> (independent of training) and summarises them.
    /// </summary>
    public EvaluationResult Evaluate(int episodes, long seed, TEnv environment = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(episodes);
        var rng = Rng.ForStream(unchecked((ulong)seed), 0xE7A1);
        int features = TEnv.FeatureCount;
        var observation = new float[features];
        var summary = new EvaluationSummary();
        for (int e = 0; e < episodes; e++)
        {
            environment.ResetFeatures(ref rng, observation);
            double episodeReturn = 0;
            int length = 0;
            bool success = false;
            while (length < _maxEpisodeSteps)
            {
                int action = ArgMax(Online.Forward(observation, 1)[..TEnv.ActionCount]);
                FeatureStep step = environment.StepFeatures(action, ref rng, observation);
                episodeReturn += step.Reward;
                length++;
                success = step.Success;
                if (step.Terminated || step.Truncated) break;
            }
            summary.Add(episodeReturn, length, success);
        }
        return summary.Result();
    }

    /// <summary>The value of the <c>format</c> metadata entry of a DQN checkpoint.</summary>
    public const string CheckpointFormat = "qforge.checkpoint.dqn.v1";

    /// <summary>Whether the environment can be captured in a checkpoint (it holds no object references).</summary>
    public static bool CanCheckpoint => !RuntimeHelpers.IsReferenceOrContainsReferences<TEnv>();

    /// <summary>
    /// Writes everything needed to continue exactly: both networks, the optimiser's moments, the replay buffer, the
    /// generator, the counters, and each environment copy mid-episode (its bytes, its observation, return and length).
    /// </summary>
    /// <exception cref="NotSupportedException">The environment holds object references (<see cref="CanCheckpoint"/>).</exception>
    public void SaveCheckpoint(string path) => SafeTensors.WriteAtomically(path, WriteCheckpoint);

    /// <summary>Writes the checkpoint <see cref="SaveCheckpoint"/> saves to <paramref name="stream"/> (safetensors bytes).</summary>
    /// <exception cref="NotSupportedException">The environment holds object references (<see cref="CanCheckpoint"/>).</exception>
    public void WriteCheckpoint(Stream stream)
    {
        if (!CanCheckpoint) throw new NotSupportedException($"{TEnv.Name} holds object references, so its state cannot be checkpointed.");
        var tensors = new List<Tensor>
        {
            View("online", TensorType.F32, Online.Parameters),
            View("target", TensorType.F32, Target.Parameters),
            View("adam.first", TensorType.F32, Optimizer.FirstMoments),
            View("adam.second", TensorType.F32, Optimizer.SecondMoments),
            Tensor.View("environments", TensorType.U8, [_environments.Length * Unsafe.SizeOf<TEnv>()], _environments, _environments.Length),
            View("observations", TensorType.F32, _observations),
            Tensor.View("episode_returns", TensorType.U8, [_episodeReturns.Length * 8], _episodeReturns, _episodeReturns.Length),
            View("episode_lengths", TensorType.I32, _episodeLengths),
        };
        tensors.AddRange(_replay.ToTensors());
        var metadata = CheckpointMetadata.Create(CheckpointFormat, TEnv.Name, _rng.State, Settings.ToParameters());
        metadata["step"] = Step.ToString(CultureInfo.InvariantCulture);
        metadata["updates"] = Updates.ToString(CultureInfo.InvariantCulture);
        metadata["episodes"] = _episodes.ToString(CultureInfo.InvariantCulture);
        metadata["optimizer_steps"] = Optimizer.Steps.ToString(CultureInfo.InvariantCulture);
        metadata["replay"] = _replay.Position;
        SafeTensors.Write(stream, tensors, metadata);

        static Tensor View<T>(string name, TensorType type, T[] values) where T : struct => Tensor.View(name, type, [values.Length], values, values.Length);
    }

    /// <summary>
    /// Continues from a checkpoint written by <see cref="SaveCheckpoint"/>, bit-identically. <paramref name="settings"/>
    /// must equal the checkpoint's, except <see cref="DqnSettings.TotalSteps"/> and <see cref="DqnSettings.EvaluationEpisodes"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a DQN checkpoint of this environment, or its settings differ.</exception>
    public static DqnTrainer<TEnv> Resume(string path, DqnSettings settings, Func<int, TEnv>? createEnvironment = null)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        var rng = CheckpointMetadata.Verify(metadata, path, CheckpointFormat, TEnv.Name, settings.ToParameters(),
            nameof(DqnSettings.TotalSteps), nameof(DqnSettings.EvaluationEpisodes));
        Tensor Get(string name) => CheckpointMetadata.Tensor(tensors, name, path);
        var trainer = new DqnTrainer<TEnv>(settings, createEnvironment);
        Copy(Get("online").ToFloat32(), trainer.Online.Parameters, path, "online");
        Copy(Get("target").ToFloat32(), trainer.Target.Parameters, path, "target");
        Copy(Get("adam.first").ToFloat32(), trainer.Optimizer.FirstMoments, path, "adam.first");
        Copy(Get("adam.second").ToFloat32(), trainer.Optimizer.SecondMoments, path, "adam.second");
        trainer.Online.SyncTransposed();
        trainer.Target.SyncTransposed();
        Copy(Get("environments").ToUInt8(), MemoryMarshal.AsBytes(trainer._environments.AsSpan()), path, "environments");
        Copy(Get("observations").ToFloat32(), trainer._observations, path, "observations");
        Copy(Get("episode_returns").ToUInt8(), MemoryMarshal.AsBytes(trainer._episodeReturns.AsSpan()), path, "episode_returns");
        Copy(Get("episode_lengths").ToInt32(), trainer._episodeLengths, path, "episode_lengths");
        trainer._replay.Restore(tensors, CheckpointMetadata.Get(metadata, "replay", path), path);
        trainer._rng = new Rng(rng);
        trainer.Step = CheckpointMetadata.GetInt64(metadata, "step", path);
        trainer.Updates = CheckpointMetadata.GetInt64(metadata, "updates", path);
        trainer._episodes = CheckpointMetadata.GetInt64(metadata, "episodes", path);
        trainer.Optimizer.Steps = CheckpointMetadata.GetInt64(metadata, "optimizer_steps", path);
        return trainer;
    }

    private static void Copy<T>(T[] source, Span<T> destination, string path, string name)
    {
        if (source.Length != destination.Length)
            throw new InvalidDataException($"'{path}': tensor '{name}' has {source.Length} values; this trainer needs {destination.Length} (other network or environment shape).");
        source.CopyTo(destination);
    }

    /// <summary>Saves the online network as safetensors in PyTorch's layout, with the environment and settings as metadata.</summary>
    public void SaveModel(string path) => SafeTensors.Save(path, Online.ToTensors(), new Dictionary<string, string>
    {
        ["format"] = "qforge.dqn.v1",
        ["environment"] = TEnv.Name,
        ["layers"] = string.Join(',', Online.Sizes),
        ["steps"] = Step.ToString(CultureInfo.InvariantCulture),
        ["parameters"] = JsonSerializer.Serialize(Settings.ToParameters()),
    });

    /// <summary>The index of the largest value, the first one on ties (as torch.argmax).</summary>
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int a = 1; a < values.Length; a++)
            if (values[a] > values[best]) best = a;
        return best;
    }
}
