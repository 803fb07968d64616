using Microsoft.CodeAnalysis;

namespace QForge.Generators.Tests;

/// <summary>Every diagnostic: its id, severity, a message that says how to fix it, and a location on the offending code.</summary>
public class DiagnosticTests
{
    private const string Header = "using QForge; using QForge.Tabular; namespace Demo;\n";

    private static Diagnostic Single(string source, string id) => Single(GeneratorHarness.Run(Header + source), id);

    private static Diagnostic Single(GeneratorOutput output, string id)
    {
        var diagnostic = Assert.Single(output.GeneratorDiagnostics, d => d.Id == id);
        var path = diagnostic.Location.GetLineSpan().Path;
        Assert.True(output.Input.SyntaxTrees.Any(t => t.FilePath == path), $"{id} is not located in the user's source ({diagnostic.Location})");
        Assert.Equal($"https://github.com/qforge/qforge/blob/main/docs/diagnostics.md#{id.ToLowerInvariant()}", diagnostic.Descriptor.HelpLinkUri);
        Marks.AddOrUpdate(diagnostic, output.Input.SyntaxTrees.Single(t => t.FilePath == path).ToString().Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        return diagnostic;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Diagnostic, string> Marks = new();

    /// <summary>The source text the diagnostic points at.</summary>
    private static string Marked(Diagnostic diagnostic) => Marks.TryGetValue(diagnostic, out var text) ? text : "";

    private const string Env = """
        public enum Move { A, B }
        public readonly partial record struct Obs([property: Discrete(3)] int X);
        """;

    [Fact]
    public void QF0001_environment_not_partial()
    {
        var d = Single(Env + "[Environment] public struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0001");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("Lake", Marked(d));
        Assert.Contains("must be declared partial", d.GetMessage());
    }

    [Fact]
    public void QF0001_containing_type_not_partial()
    {
        var d = Single(Env + "public class Outer { [Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; } }", "QF0001");
        Assert.Contains("every type containing it", d.GetMessage());
    }

    [Fact]
    public void QF0001_observation_not_partial()
    {
        var d = Single("public enum Move { A } public readonly record struct Obs([property: Discrete(3)] int X);\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0001");
        Assert.Contains("'Obs'", d.GetMessage());
        Assert.Contains("observation space", d.GetMessage());
    }

    [Fact]
    public void QF0002_environment_without_the_interface()
    {
        var d = Single("[Environment] public partial struct Lake { public int Reset() => 0; }", "QF0002");
        Assert.Equal("Lake", Marked(d));
        Assert.Contains("IEnvironment<TObservation, TAction>", d.GetMessage());
    }

    [Fact]
    public void QF0003_observation_that_is_a_class()
    {
        var d = Single("public enum Move { A } public class Obs { }\n[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => new(); public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0003");
        Assert.Contains("must be a struct", d.GetMessage());
    }

    [Fact]
    public void QF0003_observation_without_fields()
    {
        var d = Single("public enum Move { A } public partial struct Obs { }\n[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0003");
        Assert.Contains("no fields", d.GetMessage());
    }

    [Theory]
    [InlineData("int X", "int")]
    [InlineData("double X", "double")]
    [InlineData("string X", "string")]
    public void QF0004_unbounded_or_unsupported_field(string field, string type)
    {
        var d = Single($"public enum Move {{ A }} public readonly partial record struct Obs({field});\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0004");
        Assert.Equal("X", Marked(d));
        Assert.Contains($"type '{type}' without bounds", d.GetMessage());
        Assert.Contains("[Discrete(count)]", d.GetMessage());
    }

    [Fact]
    public void QF0005_space_too_large_for_a_table()
    {
        var d = Single("public enum Move { A } public readonly partial record struct Obs([Discrete(100000)] int X, [Discrete(100000)] int Y);\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0005");
        Assert.Contains("10000000000", d.GetMessage());
    }

    [Fact]
    public void QF0006_action_type_not_discrete()
    {
        var d = Single("public readonly partial record struct Obs([Discrete(2)] int X);\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, double> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(double m, ref Rng r) => default; }", "QF0006");
        Assert.Contains("use an enum", d.GetMessage());
    }

    [Fact]
    public void QF0006_int_action_without_a_count()
    {
        var d = Single("public readonly partial record struct Obs([Discrete(2)] int X);\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, int> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(int m, ref Rng r) => default; }", "QF0006");
        Assert.Contains("ActionCount = n", d.GetMessage());
    }

    [Fact]
    public void QF0007_enum_with_gaps()
    {
        var d = Single("public enum Move { A = 1, B = 5 } public readonly partial record struct Obs([Discrete(2)] int X);\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0007");
        Assert.Contains("1, 5", d.GetMessage());
        Assert.Equal("Move", Marked(d));
    }

    [Theory]
    [InlineData("[Discrete(0)] int X", "count 0 must be positive")]
    [InlineData("[Continuous(1, -1)] float X", "min 1 must be below max -1")]
    public void QF0008_invalid_bounds(string field, string message)
    {
        var d = Single($"public enum Move {{ A }} public readonly partial record struct Obs({field});\n" +
            "[Environment] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0008");
        Assert.Contains(message, d.GetMessage());
    }

    [Fact]
    public void QF0008_negative_time_limit()
    {
        var d = Single(Env + "[Environment(MaxEpisodeSteps = -5)] public partial struct Lake : IEnvironment<Obs, Move> { public Obs Reset(ref Rng r) => default; public Step<Obs> Step(Move m, ref Rng r) => default; }", "QF0008");
        Assert.Contains("MaxEpisodeSteps = -5", d.GetMessage());
    }

    [Fact]
    public void QF0009_hyperparameter_without_a_setter()
    {
        var d = Single("[Hyperparameters] public partial record Knobs { [ValidRange(0, 1)] public double Rate => 0.5; }", "QF0009");
        Assert.Equal("Rate", Marked(d));
        Assert.Contains("no public set or init accessor", d.GetMessage());
    }

    [Fact]
    public void QF0010_unsupported_hyperparameter_type_is_a_warning()
    {
        var d = Single("[Hyperparameters] public partial record Knobs { public System.Collections.Generic.List<int> Layers { get; init; } = new(); }", "QF0010");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("List<int>", d.GetMessage());
    }

    [Fact]
    public void QF0011_sweep_value_of_the_wrong_type()
    {
        var d = Single("[Hyperparameters] public partial record Knobs { [Sweep(1, \"two\")] public int Layers { get; init; } = 1; }", "QF0011");
        Assert.Contains("\"two\"", d.GetMessage());
        Assert.Contains("valid int", d.GetMessage());
    }

    [Fact]
    public void QF0012_sweep_value_outside_the_valid_range()
    {
        var d = Single("[Hyperparameters] public partial record Knobs { [ValidRange(0, 1), Sweep(0.5, 1.5)] public double Rate { get; init; } = 0.5; }", "QF0012");
        Assert.Contains("1.5", d.GetMessage());
        Assert.Contains("[0, 1]", d.GetMessage());
    }

    [Fact]
    public void QF0012_inherited_range_applies_to_an_override_sweep()
    {
        var d = Single("[Hyperparameters] public sealed partial record Knobs : QLearningSettings { [Sweep(0.1, 2.0)] public override double LearningRate { get; init; } = 0.1; }", "QF0012");
        Assert.Contains("(0, 1]", d.GetMessage());
    }

    [Fact]
    public void QF0013_two_experiments_with_one_name()
    {
        var output = GeneratorHarness.Run(Sources.GridEnvironment, Header + """
            [Hyperparameters] public sealed partial record T : QLearningSettings;
            [Experiment("grid")] public sealed partial class A : QLearningExperiment<Grid, T>;
            [Experiment("GRID")] public sealed partial class B : QLearningExperiment<Grid, T>;
            """);
        var d = Single(output, "QF0013");
        Assert.Contains("'A'", d.GetMessage());
        Assert.Contains("'B'", d.GetMessage());
        Assert.Equal("Experiment(\"GRID\")", Marked(d));
    }

    [Fact]
    public void QF0014_experiment_without_an_algorithm()
    {
        var d = Single("[Experiment(\"x\")] public partial class Plain { }", "QF0014");
        Assert.Equal("Plain", Marked(d));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-x")]
    [InlineData("has space")]
    public void QF0015_invalid_experiment_name(string name)
    {
        var output = GeneratorHarness.Run(Sources.GridEnvironment, Header + $$"""
            [Hyperparameters] public sealed partial record T : QLearningSettings;
            [Experiment("{{name}}")] public sealed partial class A : QLearningExperiment<Grid, T>;
            """);
        var d = Single(output, "QF0015");
        Assert.Contains($"'{name}'", d.GetMessage());
    }

    [Fact]
    public void QF0016_hyperparameter_class_without_a_parameterless_constructor()
    {
        var d = Single("[Hyperparameters] public partial class Knobs { public Knobs(int x) { } public int X { get; set; } }", "QF0016");
        Assert.Contains("parameterless constructor", d.GetMessage());
    }

    [Theory]
    [InlineData("[SweepRange(2, 1)] public double Rate { get; init; } = 1;", "min 2 is above max 1")]
    [InlineData("[SweepRange(0, 1, Log = true)] public double Rate { get; init; } = 1;", "positive ends")]
    [InlineData("[SweepRange(0, 1, Steps = 0)] public double Rate { get; init; } = 1;", "Steps = 0")]
    [InlineData("[SweepRange(0, 1)] public bool Flag { get; init; }", "numeric property")]
    [InlineData("[Sweep] public int Count { get; init; }", "no values")]
    public void QF0017_invalid_sweep(string property, string message)
    {
        var d = Single("[Hyperparameters] public partial record Knobs { " + property + " }", "QF0017");
        Assert.Contains(message, d.GetMessage());
    }

    [Fact]
    public void QF0018_experiment_settings_not_marked()
    {
        var output = GeneratorHarness.Run(Sources.GridEnvironment, Header + """
            public sealed record Plain : QLearningSettings, IHyperparameters<Plain>
            {
                public static Plain Bind(Microsoft.Extensions.Configuration.IConfiguration c, Plain? b = null) => new();
                public static new System.Collections.Generic.IReadOnlyList<HyperparameterInfo> Describe() => [];
                public static new System.Collections.Generic.IReadOnlyList<SweepDimension> SweepSpace => [];
            }
            [Experiment("grid")] public sealed partial class A : QLearningExperiment<Grid, Plain>;
            """);
        var d = Single(output, "QF0018");
        Assert.Contains("must be marked [Hyperparameters]", d.GetMessage());
    }

    [Fact]
    public void Every_descriptor_is_documented_and_tested()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        string docs = File.ReadAllText(Path.Combine(root, "docs/diagnostics.md"));
        string tests = File.ReadAllText(Path.Combine(root, "tests/QForge.Generators.Tests/DiagnosticTests.cs"));
        var ids = typeof(QForgeGenerator).Assembly.GetType("QForge.Generators.Diagnostics.DiagnosticDescriptors")!
            .GetFields().Where(f => f.FieldType == typeof(DiagnosticDescriptor)).Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id).ToList();
        Assert.Equal(18, ids.Count);
        foreach (var id in ids)
        {
            Assert.Contains($"## {id}", docs);
            Assert.Contains($"void {id}_", tests);
        }
    }
}
