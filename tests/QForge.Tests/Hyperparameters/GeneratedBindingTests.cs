using Microsoft.Extensions.Configuration;
using QForge.Exploration;
using QForge.Experiments.FrozenLake;
using QForge.Experiments.Taxi;
using QForge.Tabular;

namespace QForge.Tests.Hyperparameters;

/// <summary>The generated members of the experiments' hyperparameter records, exercised at run time.</summary>
public class GeneratedBindingTests
{
    private static IConfiguration Config(params (string Key, string Value)[] pairs) =>
        new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).Build();

    [Fact]
    public void Bind_reads_present_keys_case_insensitively_and_keeps_defaults_for_the_rest()
    {
        var settings = TaxiTraining.Bind(Config(("learningrate", "0.25"), ("Seed", "7"), ("EpsilonDecay", "exponential"), ("ReplayCapacity", " 100 ")));
        Assert.Equal(0.25, settings.LearningRate);
        Assert.Equal(7, settings.Seed);
        Assert.Equal(EpsilonDecay.Exponential, settings.EpsilonDecay);
        Assert.Equal(100, settings.ReplayCapacity);
        Assert.Equal(new TaxiTraining().Episodes, settings.Episodes);
        Assert.Equal(2000, settings.EpsilonDecayEpisodes);
    }

    [Fact]
    public void Bind_over_a_baseline_changes_only_the_given_keys()
    {
        var baseline = new TaxiTraining { Episodes = 42, Seed = 3 };
        var settings = TaxiTraining.Bind(Config(("Seed", "9")), baseline);
        Assert.Equal(42, settings.Episodes);
        Assert.Equal(9, settings.Seed);
    }

    [Fact]
    public void Bind_lists_every_problem_with_key_value_and_what_is_allowed()
    {
        var error = Assert.Throws<HyperparameterException>(() => TaxiTraining.Bind(Config(
            ("LearningRat", "0.2"), ("Episodes", "many"), ("DiscountFactor", "1.5"), ("EpsilonDecay", "Sideways"), ("EpsilonDecay2", "x"))));
        Assert.Contains(error.Errors, e => e.StartsWith("Unknown hyperparameter 'LearningRat'. Did you mean 'LearningRate'?"));
        Assert.Contains(error.Errors, e => e == "Episodes = 'many' is not valid: expected an integer (int, -2147483648 to 2147483647).");
        Assert.Contains(error.Errors, e => e == "DiscountFactor = 1.5 is out of range: allowed [0, 1].");
        Assert.Contains(error.Errors, e => e == "EpsilonDecay = 'Sideways' is not valid: expected one of Linear, Exponential, Constant.");
        Assert.Contains(error.Errors, e => e.StartsWith("Unknown hyperparameter 'EpsilonDecay2'. Did you mean 'EpsilonDecay'?"));
        Assert.Equal(5, error.Errors.Count);
    }

    [Theory]
    [InlineData("LearningRate", "0,5")]
    [InlineData("LearningRate", "NaN")]
    [InlineData("LearningRate", "Infinity")]
    [InlineData("EpsilonDecay", "1")]
    [InlineData("IsSlippery", "yes")]
    public void Values_that_do_not_parse_invariantly_are_rejected(string key, string value)
    {
        var error = Assert.Throws<HyperparameterException>(() => LakeTraining.Bind(Config((key, value))));
        Assert.Contains($"{key} = '{value}' is not valid", error.Message);
    }

    [Fact]
    public void Own_properties_bind_too()
    {
        Assert.False(LakeTraining.Bind(Config(("IsSlippery", "false"))).IsSlippery);
        Assert.True(LakeTraining.Bind(Config()).IsSlippery);
    }

    [Fact]
    public void ToParameters_formats_every_hyperparameter_invariantly_with_round_trip_doubles()
    {
        var parameters = new TaxiTraining { LearningRate = 0.1 + 0.2, Seed = -4 }.ToParameters();
        Assert.Equal("0.30000000000000004", parameters["LearningRate"]);
        Assert.Equal("-4", parameters["Seed"]);
        Assert.Equal("Linear", parameters["EpsilonDecay"]);
        Assert.Equal(13, parameters.Count);
        Assert.Equal(parameters.Keys.Order(StringComparer.Ordinal), parameters.Keys);
        var lake = new LakeTraining().ToParameters();
        Assert.Equal("true", lake["IsSlippery"]);
        Assert.Equal(14, lake.Count);
    }

    [Fact]
    public void Parameters_bind_back_to_equal_settings()
    {
        var original = new TaxiTraining { LearningRate = 1.0 / 3, EpsilonDecay = EpsilonDecay.Constant, EpsilonEnd = 0.5, EpsilonStart = 0.5, Seed = 11 };
        var rebound = TaxiTraining.Bind(Config([.. original.ToParameters().Select(p => (p.Key, p.Value))]));
        Assert.Equal(original, rebound);
    }

    [Fact]
    public void Describe_gives_defaults_ranges_sweeps_and_inherited_doc_comments()
    {
        var help = TaxiTraining.Describe().ToDictionary(h => h.Name);
        Assert.Equal("0.1", help["LearningRate"].Default);
        Assert.Equal("(0, 1]", help["LearningRate"].Range);
        Assert.Equal("log [0.02, 0.5] x 4", help["LearningRate"].Sweep);
        Assert.StartsWith("The step size alpha", help["LearningRate"].Description);
        Assert.Equal("500, 2000, 4000", help["EpsilonDecayEpisodes"].Sweep);
        Assert.Equal("one of Linear, Exponential, Constant", help["EpsilonDecay"].Range);
        Assert.Equal("long", help["Seed"].Type);
        Assert.Null(help["Seed"].Range);
        Assert.StartsWith("Whether moves slip sideways", LakeTraining.Describe().Single(h => h.Name == "IsSlippery").Description);
    }

    [Fact]
    public void The_sweep_space_lists_each_swept_dimension_with_its_grid()
    {
        var space = TaxiTraining.SweepSpace.ToDictionary(d => d.Name);
        Assert.Equal(["EpsilonDecayEpisodes", "LearningRate"], space.Keys.Order());
        Assert.Equal(["500", "2000", "4000"], space["EpsilonDecayEpisodes"].GridValues());
        var learningRates = space["LearningRate"].GridValues().Select(double.Parse).ToArray();
        Assert.Equal(4, learningRates.Length);
        Assert.Equal(0.02, learningRates[0], 12);
        Assert.Equal(0.5, learningRates[^1], 12);
        Assert.Equal(learningRates[1] / learningRates[0], learningRates[2] / learningRates[1], 9);
        Assert.Equal(["0.02", "0.05", "0.1", "0.2"], LakeTraining.SweepSpace.Single().GridValues());
    }

    [Fact]
    public void Cross_field_validation_runs_after_binding()
    {
        var error = Assert.Throws<HyperparameterException>(() => TaxiTraining.Bind(Config(("EpsilonStart", "0.1"), ("EpsilonEnd", "0.2"))));
        Assert.Contains("EpsilonEnd = 0.2 must not exceed EpsilonStart = 0.1.", error.Errors);
    }

    [Fact]
    public void Experiments_are_registered_and_found_by_name()
    {
        _ = new TaxiExperiment(); // loads the Taxi assembly, whose module initializer registers its experiments
        _ = new LakeExperiment();
        var taxi = ExperimentRegistry.Find("TAXI");
        Assert.Equal("Taxi-v3", taxi.Environment);
        Assert.Equal("Q-learning", taxi.Algorithm);
        Assert.Equal("Tabular Q-learning on Taxi-v3.", taxi.Description);
        Assert.Contains(ExperimentRegistry.All, d => d.Name == "frozen-lake-8x8");
        var missing = Assert.Throws<KeyNotFoundException>(() => ExperimentRegistry.Find("taxi-v9"));
        Assert.Contains("taxi", missing.Message);
    }

    [Fact]
    public void An_experiment_trains_from_configuration()
    {
        var experiment = ExperimentRegistry.Find("frozen-lake").Create();
        var result = experiment.Train(Config(("Episodes", "300"), ("IsSlippery", "false"), ("EvaluationEpisodes", "10")));
        Assert.Equal(300, result.Training.Episodes);
        Assert.Equal("false", result.Parameters["IsSlippery"]);
        Assert.Equal("FrozenLake-v1", experiment.EnvironmentName);
    }
}
