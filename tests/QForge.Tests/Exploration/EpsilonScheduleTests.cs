using QForge.Exploration;

namespace QForge.Tests.Exploration;

public class EpsilonScheduleTests
{
    [Fact]
    public void Linear_falls_by_a_fixed_amount_per_period_then_stays_at_the_floor()
    {
        var schedule = EpsilonSchedule.Linear(1.0, 0.05, 100);
        Assert.Equal(1.0, schedule.ValueAt(0));
        Assert.Equal(1.0 - 0.95 * 50 / 100, schedule.ValueAt(50), 12);
        Assert.Equal(schedule.ValueAt(10) - schedule.ValueAt(11), schedule.ValueAt(70) - schedule.ValueAt(71), 12);
        Assert.Equal(0.05, schedule.ValueAt(100));
        Assert.Equal(0.05, schedule.ValueAt(10_000));
    }

    [Fact]
    public void Exponential_multiplies_by_the_rate_and_is_floored()
    {
        var schedule = EpsilonSchedule.Exponential(1.0, 0.1, 0.5);
        Assert.Equal(1.0, schedule.ValueAt(0));
        Assert.Equal(0.25, schedule.ValueAt(2), 12);
        Assert.Equal(0.1, schedule.ValueAt(10));
    }

    [Fact]
    public void Constant_never_changes()
    {
        var schedule = EpsilonSchedule.Constant(0.2);
        Assert.Equal(0.2, schedule.ValueAt(0));
        Assert.Equal(0.2, schedule.ValueAt(1_000_000));
    }

    [Theory]
    [InlineData(EpsilonDecay.Linear, 1.5, 0.1, 10, 1.0, "start")]
    [InlineData(EpsilonDecay.Linear, 0.5, 0.9, 10, 1.0, "end")]
    [InlineData(EpsilonDecay.Linear, 1.0, 0.1, -1, 1.0, "periods")]
    [InlineData(EpsilonDecay.Exponential, 1.0, 0.1, 0, 0.0, "rate")]
    public void Validate_names_the_bad_parameter(EpsilonDecay decay, double start, double end, long periods, double rate, string word)
    {
        string? error = new EpsilonSchedule(decay, start, end, periods, rate).Validate();
        Assert.NotNull(error);
        Assert.Contains(word, error);
    }

    [Fact]
    public void Validate_accepts_a_valid_schedule()
    {
        Assert.Null(EpsilonSchedule.Linear(1, 0.05, 5000).Validate());
    }
}
