using Microsoft.Extensions.Configuration;
using QForge.Hosting.Sweeps;

namespace QForge.Hosting.Tests;

public class SweepPlanTests
{
    private static readonly ExperimentDescriptor Experiment = new("demo", "Q-learning", "Demo-v0", "",
    [
        new HyperparameterInfo("LearningRate", "double", "0.1", "(0, 1]", null, ""),
        new HyperparameterInfo("Episodes", "int", "100", "[1, 2147483647]", null, ""),
        new HyperparameterInfo("Flag", "bool", "false", null, null, ""),
    ], () => throw new NotSupportedException());

    private static readonly SweepDimension[] Declared =
    [
        new("Episodes", SweepKind.Values, ["10", "20"], 0, 0, 0, true),
        new("LearningRate", SweepKind.LogRange, [], 0.01, 1, 3, false),
    ];

    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build();

    private static SweepPlan Plan(params (string, string)[] sweep) => SweepPlan.From(Experiment, Declared, Config(sweep), Config());

    [Fact]
    public void The_grid_is_the_product_in_a_fixed_order_with_exact_ends()
    {
        var trials = Plan().Trials();
        Assert.Equal(6, trials.Count);
        Assert.Equal(["10", "10", "10", "20", "20", "20"], trials.Select(t => t.Values["Episodes"]));
        Assert.Equal(["0.01", "0.1", "1"], trials.Take(3).Select(t => t.Values["LearningRate"]));
        Assert.Equal(Enumerable.Range(0, 6), trials.Select(t => t.Index));
    }

    [Fact]
    public void Random_plans_are_deterministic_in_range_and_change_with_the_seed()
    {
        var a = Plan(("Strategy", "random"), ("Trials", "50"), ("Seed", "3")).Trials();
        var b = Plan(("Strategy", "random"), ("Trials", "50"), ("Seed", "3")).Trials();
        var c = Plan(("Strategy", "random"), ("Trials", "50"), ("Seed", "4")).Trials();
        Assert.Equal(a.Select(t => t.Values["LearningRate"]), b.Select(t => t.Values["LearningRate"]));
        Assert.NotEqual(a.Select(t => t.Values["LearningRate"]), c.Select(t => t.Values["LearningRate"]));
        Assert.All(a, t => Assert.InRange(double.Parse(t.Values["LearningRate"], System.Globalization.CultureInfo.InvariantCulture), 0.01, 1));
        Assert.All(a, t => Assert.Contains(t.Values["Episodes"], new[] { "10", "20" }));
    }

    [Fact]
    public void The_id_is_a_function_of_the_specification()
    {
        Assert.Equal(Plan().Id, Plan().Id);
        Assert.NotEqual(Plan().Id, Plan(("Seeds", "1,2")).Id);
        Assert.NotEqual(Plan().Id, Plan(("Space:Episodes", "10,30")).Id);
    }

    [Fact]
    public void Configuration_overrides_values_ranges_and_which_parameters_are_swept()
    {
        var plan = Plan(("Space:Episodes", "off"), ("Space:Flag", "true,false"), ("Space:LearningRate", "0.1..0.3:3"));
        Assert.Equal(["Flag", "LearningRate"], plan.Dimensions.Select(d => d.Name));
        Assert.Equal(["0.1", "0.2", "0.3"], plan.Dimensions[1].GridValues());
        Assert.Equal(6, plan.Trials().Count);
    }

    [Theory]
    [InlineData("Space:Nope", "1,2", "names no hyperparameter of demo")]
    [InlineData("Space:LearningRate", "0.5..0.1", "the low end 0.5 is above the high end 0.1")]
    [InlineData("Space:LearningRate", "log:0..1", "a log range needs positive ends")]
    [InlineData("Space:LearningRate", "log:-1..1", "a log range needs positive ends")]
    [InlineData("Space:Flag", "0..1", "a range needs a numeric hyperparameter")]
    [InlineData("Strategy", "bayes", "is not one of grid, random")]
    [InlineData("Seeds", "1,1", "must list distinct integers")]
    [InlineData("Objective", "loss", "is not one of return, success")]
    [InlineData("Trials", "0", "must be an integer from 1")]
    public void Bad_specifications_are_one_clear_message(string key, string value, string message)
    {
        var error = Assert.Throws<UsageException>(() => Plan((key, value)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void An_empty_space_is_refused()
    {
        var error = Assert.Throws<UsageException>(() => SweepPlan.From(Experiment, [], Config(), Config()));
        Assert.Contains("sweep space of demo is empty", error.Message);
    }
}
