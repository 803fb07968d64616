using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QForge.Generators.Helpers;

namespace QForge.Generators.Tests;

/// <summary>The pipeline caches: rerunning or editing unrelated code leaves every tracked step cached; a changed attribute regenerates.</summary>
public class IncrementalTests
{
    private static readonly string[] Tracked =
        [TrackingNames.Environments, TrackingNames.Observations, TrackingNames.Hyperparameters, TrackingNames.Experiments, TrackingNames.ExperimentCatalog];

    private static readonly string[] AllSources = [Sources.GridEnvironment, Sources.Experiment, Sources.MixedObservation, Sources.Hyperparameters];

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compile(AllSources);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        return (driver, compilation);
    }

    private static Dictionary<string, IncrementalStepRunReason[]> Reasons(GeneratorDriver driver)
    {
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        return Tracked.Where(steps.ContainsKey).ToDictionary(
            name => name,
            name => steps[name].SelectMany(step => step.Outputs).Select(o => o.Reason).ToArray());
    }

    [Fact]
    public void Every_pipeline_step_is_tracked()
    {
        var (driver, _) = FirstRun();
        Assert.Equal(Tracked.Order(), Reasons(driver).Keys.Order());
    }

    [Fact]
    public void A_second_run_on_the_same_input_is_fully_cached()
    {
        var (driver, compilation) = FirstRun();
        driver = driver.RunGenerators(compilation.Clone());
        foreach (var (name, reasons) in Reasons(driver))
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {r}"));
    }

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var (driver, compilation) = FirstRun();
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public class Unrelated { public int X => 42; }", new CSharpParseOptions(LanguageVersion.Preview)));
        driver = driver.RunGenerators(edited);
        foreach (var (name, reasons) in Reasons(driver))
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {r}"));
    }

    [Fact]
    public void Changing_an_attribute_argument_regenerates_that_environment()
    {
        var (driver, compilation) = FirstRun();
        var tree = compilation.SyntaxTrees.First();
        var changed = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            Sources.GridEnvironment.Replace("MaxEpisodeSteps = 100", "MaxEpisodeSteps = 250"))));
        driver = driver.RunGenerators(changed);
        var reasons = Reasons(driver);
        Assert.Contains(IncrementalStepRunReason.Modified, reasons[TrackingNames.Environments]);
        Assert.Contains("MaxEpisodeSteps => 250", driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.EndsWith("Grid.Environment.g.cs")).ToString());
        // The hyperparameters did not change, so their step stays cached.
        Assert.All(reasons[TrackingNames.Hyperparameters], r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void Step_outputs_hold_no_symbols_syntax_or_compilations()
    {
        var (driver, _) = FirstRun();
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in Tracked)
            foreach (var step in steps[name])
                foreach (var (value, _) in step.Outputs)
                    AssertNoRoslynObjects(value, name, depth: 0);
    }

    private static void AssertNoRoslynObjects(object? value, string path, int depth)
    {
        if (value is null || depth > 12) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree, $"{path} holds a {value.GetType().Name}");
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is string) return;
        if (value is IEnumerable items)
        {
            foreach (var item in items) AssertNoRoslynObjects(item, path + "[]", depth + 1);
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            AssertNoRoslynObjects(property.GetValue(value), path + "." + property.Name, depth + 1);
    }
}
