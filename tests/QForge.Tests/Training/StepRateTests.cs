using QForge.Training;

namespace QForge.Tests.Training;

public class StepRateTests
{
    [Fact]
    public void The_rate_is_read_on_the_first_report_and_then_once_per_refresh_interval()
    {
        var rate = new StepRate(startSteps: 100);
        Thread.Sleep(2);
        double first = rate.At(110);
        Assert.True(first > 0, $"{first}");
        Assert.True(first < 10 / 0.002, $"{first} steps/s for 10 steps in at least 2 ms");
        // Within the interval the clock is not read: the value stays as it was.
        Assert.Equal(first, rate.At(110 + StepRate.RefreshSteps - 1));
        Thread.Sleep(2);
        double refreshed = rate.At(110 + StepRate.RefreshSteps);
        Assert.NotEqual(first, refreshed);
        Assert.True(refreshed > 0);
    }

    [Fact]
    public void Episode_reports_carry_a_positive_rate()
    {
        var reports = new List<EpisodeReport>();
        new QForge.Tabular.QLearningTrainer<QForge.Experiments.Taxi.Taxi>(new QForge.Tabular.QLearningSettings { Episodes = 50 }).Train(new Recorder(reports));
        Assert.Equal(50, reports.Count);
        Assert.All(reports, r => Assert.True(r.StepsPerSecond > 0, $"episode {r.Episode}: {r.StepsPerSecond}"));
    }

    private sealed class Recorder(List<EpisodeReport> reports) : ITrainingObserver
    {
        public void OnEpisodeEnd(in EpisodeReport report) => reports.Add(report);
    }
}
