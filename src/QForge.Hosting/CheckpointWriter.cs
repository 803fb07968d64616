using Microsoft.Extensions.Logging;
using QForge.Serialization;

namespace QForge.Hosting;

/// <summary>
/// Writes a run's checkpoints (logging "<paramref name="unit"/> N" for each when asked) without making training wait on the disk: the session serialises its state into memory on
/// the training thread (a copy), and the file is written, flushed to disk and renamed into place on a background task
/// (CartPole's 670 KB checkpoint took ~11 ms on the training thread before, mostly the flush; 50 of them were 0.5 s of a
/// 8 s run). At most one write is in flight: the next checkpoint waits for the previous, so a slow disk slows training
/// rather than piling up copies, and a failed write fails the run at the next checkpoint or at the end.
/// </summary>
internal sealed class CheckpointWriter(string path, string unit, ILogger logger, bool logWrites)
{
    // Two buffers: one being written to disk while the next checkpoint fills the other. Reused, so checkpoints allocate
    // nothing large after the first two (large allocations trigger full garbage collections, which pause training).
    private readonly MemoryStream[] _buffers = [new(), new()];
    private int _next;
    private Task _pending = Task.CompletedTask;

    /// <summary>Serialises <paramref name="session"/>'s checkpoint and starts writing it.</summary>
    /// <exception cref="IOException">The previous checkpoint could not be written.</exception>
    public void Save(ITrainingSession session)
    {
        var bytes = _buffers[_next];
        _next = 1 - _next;
        bytes.SetLength(0);
        session.WriteCheckpoint(bytes);
        long position = session.Episode;
        Complete();
        _pending = Task.Run(() =>
        {
            SafeTensors.WriteAtomically(path, bytes.WriteTo);
            if (logWrites) Log.CheckpointWritten(logger, unit, position, path);
        });
    }

    /// <summary>Waits until the last checkpoint is on disk.</summary>
    /// <exception cref="IOException">It could not be written.</exception>
    public void Complete() => _pending.GetAwaiter().GetResult();
}
