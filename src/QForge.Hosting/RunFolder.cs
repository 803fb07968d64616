using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QForge.Hosting;

/// <summary>The status of a run, as MLflow names it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus
{
    /// <summary>Training is under way (or the process died without a word).</summary>
    Running,

    /// <summary>Training completed.</summary>
    Finished,

    /// <summary>Training threw.</summary>
    Failed,

    /// <summary>Training was stopped by a signal; a checkpoint allows resuming.</summary>
    Killed,
}

/// <summary>What a run folder records about its run.</summary>
/// <param name="RunId">32 lowercase hex digits.</param>
/// <param name="Experiment">The experiment's name.</param>
/// <param name="Configuration">The resolved training section: every hyperparameter, as logged.</param>
/// <param name="Status">Where the run stands.</param>
/// <param name="StartTime">When the run began (Unix ms).</param>
/// <param name="EndTime">When it ended (Unix ms), null while running.</param>
/// <param name="MlflowExperimentId">The MLflow experiment the run is tracked in, when tracked.</param>
/// <param name="MlflowRunId">The MLflow run, when tracked.</param>
public sealed record RunRecord(string RunId, string Experiment, IReadOnlyDictionary<string, string> Configuration, RunStatus Status, long StartTime, long? EndTime,
    string? MlflowExperimentId = null, string? MlflowRunId = null);

/// <summary>
/// A run's local state under <c>.qforge/runs/&lt;run id&gt;/</c>: <c>run.json</c>, the latest checkpoint and the final
/// model. Every file is written atomically (temporary file, then rename), so a kill at any moment leaves the previous
/// version intact.
/// </summary>
public sealed class RunFolder
{
    private RunFolder(string root, RunRecord record)
    {
        Directory = Path.Combine(root, record.RunId);
        Record = record;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The current record.</summary>
    public RunRecord Record { get; private set; }

    /// <summary>The checkpoint written periodically and on a graceful stop.</summary>
    public string CheckpointPath => Path.Combine(Directory, "checkpoint.safetensors");

    /// <summary>The final model.</summary>
    public string ModelPath => Path.Combine(Directory, "model.safetensors");

    /// <summary>Creates the folder of a new run.</summary>
    public static RunFolder Create(string root, string experiment, IReadOnlyDictionary<string, string> configuration, TimeProvider time)
    {
        var folder = new RunFolder(root, new RunRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), experiment,
            configuration, RunStatus.Running, time.GetUtcNow().ToUnixTimeMilliseconds(), null));
        System.IO.Directory.CreateDirectory(folder.Directory);
        folder.Save();
        return folder;
    }

    /// <summary>Opens an existing run (for resume).</summary>
    /// <exception cref="UsageException">There is no such run, or its record is unreadable.</exception>
    public static RunFolder Open(string root, string runId)
    {
        string file = Path.Combine(root, runId, "run.json");
        if (!File.Exists(file))
        {
            string known = System.IO.Directory.Exists(root) ? string.Join(", ", System.IO.Directory.GetDirectories(root).Select(Path.GetFileName).Order()) : "";
            throw new UsageException($"No run '{runId}' in {Path.GetFullPath(root)}." + (known.Length > 0 ? $" Runs there: {known}." : ""));
        }
        try
        {
            var record = JsonSerializer.Deserialize(File.ReadAllText(file), HostJson.Default.RunRecord) ?? throw new JsonException("empty");
            return new RunFolder(root, record);
        }
        catch (JsonException e)
        {
            throw new UsageException($"{file} is not a valid run record: {e.Message}");
        }
    }

    /// <summary>Records the MLflow run that tracks this run.</summary>
    public void SetTracking(string experimentId, string runId)
    {
        Record = Record with { MlflowExperimentId = experimentId, MlflowRunId = runId };
        Save();
    }

    /// <summary>Records a new status (and the end time unless running).</summary>
    public void SetStatus(RunStatus status, TimeProvider time)
    {
        Record = Record with { Status = status, EndTime = status == RunStatus.Running ? null : time.GetUtcNow().ToUnixTimeMilliseconds() };
        Save();
    }

    private void Save()
    {
        string file = Path.Combine(Directory, "run.json");
        string temporary = file + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(Record, HostJson.Default.RunRecord));
        File.Move(temporary, file, overwrite: true);
    }
}
