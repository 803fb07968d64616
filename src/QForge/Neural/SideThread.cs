using System.Diagnostics;

namespace QForge.Neural;

/// <summary>
/// One background thread that runs a piece of work beside the caller: the DQN update computes the target network's
/// forward pass on it while computing the online network's own. The split is coarse on purpose: on the machines this
/// was measured on, moving a dirty cache line between cores costs ~10 ns, so splitting a single product by rows lost
/// more to moving activations and freshly updated weights than it gained; the target network's weights change only at
/// target updates and stay in the helper's cache. Shared by the process: a caller that finds it busy (parallel sweep
/// trials or tests) runs the work itself, so results never depend on whether it was free. Between jobs it spins for
/// twice the last interval between jobs (0.1 to 1 ms), then sleeps on an event, so an idle trainer costs no CPU: waking
/// a sleeping thread costs the waker ~25 us on this VM (an inter-processor interrupt through the hypervisor), as much as
/// the target pass of a small network, so a trainer that posts a job every few hundred microseconds (RL Zoo's 128
/// gradient steps in a row) must find the helper awake. A caller that reaches <see cref="Join"/> before the helper
/// has picked the work up takes it back and runs it itself: on 2 cores the helper shares its core with the host's
/// background threads (tracking writer, checkpoint writer, JIT), and waiting for the scheduler to give it back cost
/// milliseconds each time.
/// </summary>
internal sealed class SideThread
{
    private static readonly long MinSpinTicks = Stopwatch.Frequency / 10_000; // 100 microseconds
    private static readonly long MaxSpinTicks = Stopwatch.Frequency / 1_000; // 1 millisecond

    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private int _owner; // 0 free, 1 taken
    private Action? _work;
    private volatile int _state; // 0 idle, 1 posted, 2 done, 3 running here, 4 taken back by the caller
    private Exception? _failure;

    private SideThread()
    {
        new Thread(Run) { IsBackground = true, Name = "QForge side thread" }.Start();
    }

    /// <summary>The process's side thread, or null on one core or when <c>QFORGE_SIDE_THREAD=0</c>.</summary>
    public static SideThread? Shared { get; } =
        Environment.ProcessorCount > 1 && Environment.GetEnvironmentVariable("QFORGE_SIDE_THREAD")?.Trim() != "0" ? new SideThread() : null;

    /// <summary>
    /// Starts <paramref name="work"/> on the shared side thread and returns it (call <see cref="Join"/>), or runs it
    /// here and returns null when there is no side thread or another caller has it.
    /// </summary>
    public static SideThread? Begin(Action work)
    {
        if (Shared is { } side && Interlocked.CompareExchange(ref side._owner, 1, 0) == 0)
        {
            side._work = work;
            side._state = 1;
            side._wake.Set(); // interlocked, so a full fence: paired with the reset-then-check in Run, a job is never missed
            return side;
        }
        work();
        return null;
    }

    /// <summary>Waits for the work started by <see cref="Begin"/> and frees the thread; rethrows what the work threw.</summary>
    public void Join()
    {
        if (Interlocked.CompareExchange(ref _state, 4, 1) == 1)
        {
            // Not started yet: run it here rather than wait for this thread to be scheduled.
            try
            {
                _work!();
            }
            finally
            {
                _work = null;
                _state = 0;
                Volatile.Write(ref _owner, 0);
            }
            return;
        }
        var spinner = new SpinWait();
        while (_state != 2) spinner.SpinOnce(sleep1Threshold: -1);
        var failure = _failure;
        _failure = null;
        _work = null;
        _state = 0;
        Volatile.Write(ref _owner, 0);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    private void Run()
    {
        long spinTicks = MinSpinTicks, lastJob = 0;
        while (true)
        {
            long deadline = Stopwatch.GetTimestamp() + spinTicks;
            while (_state != 1)
            {
                if (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                _wake.Reset();
                Interlocked.MemoryBarrier(); // the reset must be visible before _state is read
                if (_state == 1) break;
                _wake.Wait();
            }
            long now = Stopwatch.GetTimestamp();
            spinTicks = Math.Clamp(2 * (now - lastJob), MinSpinTicks, MaxSpinTicks);
            lastJob = now;
            if (Interlocked.CompareExchange(ref _state, 3, 1) != 1) continue; // the caller took it back
            try
            {
                _work!();
            }
            catch (Exception e)
            {
                _failure = e;
            }
            _state = 2;
        }
    }
}
