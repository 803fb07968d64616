using Microsoft.Extensions.Logging.Abstractions;
using QForge.Serialization;
using QForge.Training;

namespace QForge.Hosting.Tests;

/// <summary>Checkpoints written in the background: the file holds the state at the time of the call, failures surface.</summary>
public sealed class CheckpointWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("qforge-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Each_checkpoint_holds_the_state_when_it_was_taken_and_the_last_one_wins()
    {
        string path = Path.Combine(_folder, "run", "checkpoint.safetensors");
        var writer = new CheckpointWriter(path, "step", NullLogger.Instance, logWrites: true);
        var session = new CountingSession();
        for (int i = 0; i < 5; i++)
        {
            session.Episode += 10;
            writer.Save(session);
        }
        writer.Complete();
        var (tensors, metadata) = SafeTensors.Load(path);
        Assert.Equal("50", metadata["position"]);
        Assert.Equal([50f], Assert.Single(tensors).ToFloat32());
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_written_fails_the_next_save_or_the_end()
    {
        string blocker = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(blocker, "a file where the run folder should be");
        var writer = new CheckpointWriter(Path.Combine(blocker, "checkpoint.safetensors"), "episode", NullLogger.Instance, logWrites: false);
        var session = new CountingSession { Episode = 1 };
        writer.Save(session);
        Assert.ThrowsAny<IOException>(writer.Complete);
    }

    private sealed class CountingSession : ITrainingSession
    {
        public IReadOnlyDictionary<string, string> Parameters { get; } = new Dictionary<string, string>();
        public string Unit => "steps";
        public long Episode { get; set; }
        public long TargetEpisodes => 100;
        public long TotalSteps => Episode;
        public int EvaluationEpisodes => 1;
        public bool CanResume => true;
        public TrainingSummary Train(ITrainingObserver? observer, long maxEpisodes, CancellationToken cancellationToken) => throw new NotSupportedException();
        public EvaluationResult Evaluate() => throw new NotSupportedException();
        public void SaveModel(string path) => throw new NotSupportedException();

        public void WriteCheckpoint(Stream stream) =>
            SafeTensors.Write(stream, [Tensor.Float32("value", [1], [Episode])], new Dictionary<string, string> { ["position"] = Episode.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }
}
