using Microsoft.CodeAnalysis;
using QForge.Generators.Helpers;

namespace QForge.Generators.Tests;

/// <summary>Parsing the same source twice gives equal models with equal hash codes: the basis of caching.</summary>
public class ModelEqualityTests
{
    [Theory]
    [InlineData(TrackingNames.Environments)]
    [InlineData(TrackingNames.Hyperparameters)]
    [InlineData(TrackingNames.Experiments)]
    [InlineData(TrackingNames.Observations)]
    public void Two_compilations_of_one_source_give_equal_models(string step)
    {
        object[] First() => GeneratorHarness.Driver()
            .RunGenerators(GeneratorHarness.Compile(Sources.GridEnvironment, Sources.Experiment, Sources.MixedObservation, Sources.Hyperparameters))
            .GetRunResult().Results.Single().TrackedSteps[step]
            .SelectMany(s => s.Outputs).Select(o => o.Value).ToArray();
        object[] a = First(), b = First();
        Assert.NotEmpty(a);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i]);
            Assert.Equal(a[i].GetHashCode(), b[i].GetHashCode());
        }
    }

    [Fact]
    public void Equatable_arrays_compare_by_elements()
    {
        var a = new[] { "x", "y" }.ToEquatableArray();
        var b = new List<string> { "x", "y" }.ToEquatableArray();
        var c = new[] { "y", "x" }.ToEquatableArray();
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }
}
