using QForge.Neural;

namespace QForge.Tests.Neural;

/// <summary>The shared helper thread: every job runs exactly once, wherever it runs, and failures reach the caller.</summary>
[Collection(nameof(SideThreadTests))] // the helper is process-wide
public class SideThreadTests
{
    [Fact]
    public void Every_job_runs_exactly_once_whether_the_helper_the_caller_or_a_second_caller_runs_it()
    {
        int runs = 0, onOtherThreads = 0;
        int caller = Environment.CurrentManagedThreadId;
        for (int i = 0; i < 20_000; i++)
        {
            // Joined at once, most jobs are taken back by the caller; given 20 us, the helper runs them.
            var side = SideThread.Begin(() =>
            {
                Interlocked.Increment(ref runs);
                if (Environment.CurrentManagedThreadId != caller) Interlocked.Increment(ref onOtherThreads);
            });
            // A second caller while the first holds the helper runs its job itself.
            int nested = 0;
            Assert.Null(side is null ? null : SideThread.Begin(() => nested++));
            if (side is not null) Assert.Equal(1, nested);
            if (i % 2 == 0) Thread.SpinWait(2_000);
            side?.Join();
        }
        Assert.Equal(20_000, runs);
        if (SideThread.Shared is not null) Assert.True(onOtherThreads > 0, "the helper never ran a job");
    }

    [Fact]
    public void An_exception_in_a_job_reaches_the_caller_and_the_helper_stays_usable()
    {
        for (int i = 0; i < 200; i++)
        {
            // Thrown by Join when the helper or the caller ran it, or by Begin when it ran inline (no helper, or a busy one).
            var error = Assert.Throws<InvalidOperationException>(() => SideThread.Begin(() => throw new InvalidOperationException("job failed"))?.Join());
            Assert.Equal("job failed", error.Message);
        }
        int ran = 0;
        SideThread.Begin(() => ran++)?.Join();
        Assert.Equal(1, ran);
    }
}
