using System.Linq;
using Microsoft.CodeAnalysis;

namespace QForge.Generators.Diagnostics;

/// <summary>Every diagnostic QForge's generators report. Documented in docs/diagnostics.md; each has a test.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "QForge";
    private const string HelpBase = "https://github.com/qforge/qforge/blob/main/docs/diagnostics.md#";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    private static DiagnosticDescriptor Warning(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor NotPartial = Error("QF0001", "Type must be partial",
        "'{0}' must be declared partial, and so must every type containing it, so that QForge can generate its {1}");

    public static readonly DiagnosticDescriptor NoEnvironmentInterface = Error("QF0002", "Environment does not implement IEnvironment",
        "Environment '{0}' must implement QForge.IEnvironment<TObservation, TAction> (Reset(ref Rng) and Step(TAction, ref Rng))");

    public static readonly DiagnosticDescriptor UnsupportedObservation = Error("QF0003", "Unsupported observation type",
        "Observation type '{0}' cannot be used: {1}");

    public static readonly DiagnosticDescriptor UnsupportedObservationField = Error("QF0004", "Unbounded or unsupported observation field",
        "Field '{0}' of observation '{1}' has type '{2}' without bounds: use [Discrete(count)] on an int, an enum, a bool, [Continuous(min, max)] on a float or double, or a nested observation struct");

    public static readonly DiagnosticDescriptor SpaceTooLarge = Error("QF0005", "Discrete space too large for a table",
        "Observation '{0}' has {1} discrete values, more than a Q-table can index ({2}); bound the fields more tightly or use a network over its features");

    public static readonly DiagnosticDescriptor ActionNotDiscrete = Error("QF0006", "Action type is not discrete",
        "Action type '{0}' of environment '{1}' is not discrete: use an enum, or int with [Environment(ActionCount = n)]");

    public static readonly DiagnosticDescriptor BadEnum = Error("QF0007", "Enum cannot be a discrete space",
        "Enum '{0}' cannot be a discrete space: {1}; number its members 0, 1, ..., n - 1");

    public static readonly DiagnosticDescriptor InvalidBounds = Error("QF0008", "Invalid bounds",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor HyperparameterNotSettable = Error("QF0009", "Hyperparameter cannot be set",
        "Hyperparameter '{0}' has [{1}] but no public set or init accessor; add one so configuration can set it");

    public static readonly DiagnosticDescriptor HyperparameterUnsupportedType = Warning("QF0010", "Hyperparameter type not supported",
        "Property '{0}' of type '{1}' cannot be bound from configuration and is not a hyperparameter; supported types are int, long, float, double, bool, string and enums");

    public static readonly DiagnosticDescriptor SweepValueWrongType = Error("QF0011", "Sweep value of the wrong type",
        "Sweep value {0} of '{1}' is not a valid {2}");

    public static readonly DiagnosticDescriptor SweepValueOutOfRange = Error("QF0012", "Sweep value outside the valid range",
        "Sweep value {0} of '{1}' is outside its valid range {2}");

    public static readonly DiagnosticDescriptor DuplicateExperimentName = Error("QF0013", "Two experiments with one name",
        "Experiment name '{0}' is used by both '{1}' and '{2}'; give each experiment its own name");

    public static readonly DiagnosticDescriptor ExperimentWithoutAlgorithm = Error("QF0014", "Experiment has no algorithm",
        "Experiment '{0}' must derive from QForge.Tabular.QLearningExperiment<TEnvironment, TSettings> or QForge.Dqn.DqnExperiment<TEnvironment, TSettings>");

    public static readonly DiagnosticDescriptor InvalidExperimentName = Error("QF0015", "Invalid experiment name",
        "Experiment name '{0}' is invalid: use letters, digits, '-', '_' and '.', starting with a letter or digit");

    public static readonly DiagnosticDescriptor NoParameterlessConstructor = Error("QF0016", "Hyperparameters need a parameterless constructor",
        "Hyperparameter type '{0}' needs a public parameterless constructor so that defaults can be created");

    public static readonly DiagnosticDescriptor InvalidSweepRange = Error("QF0017", "Invalid sweep range",
        "[SweepRange] on '{0}' is invalid: {1}");

    public static readonly DiagnosticDescriptor ExperimentSettingsNotGenerated = Error("QF0018", "Experiment settings are not hyperparameters",
        "Experiment '{0}' uses settings '{1}', which must be marked [Hyperparameters]");

    /// <summary>Every descriptor by id: models carry only the id, so they stay equatable. Declared last, after the fields it lists.</summary>
    public static readonly System.Collections.Generic.IReadOnlyDictionary<string, DiagnosticDescriptor> ById = new[]
    {
        NotPartial, NoEnvironmentInterface, UnsupportedObservation, UnsupportedObservationField, SpaceTooLarge, ActionNotDiscrete, BadEnum,
        InvalidBounds, HyperparameterNotSettable, HyperparameterUnsupportedType, SweepValueWrongType, SweepValueOutOfRange,
        DuplicateExperimentName, ExperimentWithoutAlgorithm, InvalidExperimentName, NoParameterlessConstructor, InvalidSweepRange,
        ExperimentSettingsNotGenerated,
    }.ToDictionary(d => d.Id);
}
