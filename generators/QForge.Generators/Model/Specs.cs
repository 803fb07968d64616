using QForge.Generators.Diagnostics;
using QForge.Generators.Helpers;

namespace QForge.Generators.Model;

// Models are equatable records holding only strings, numbers, enums and EquatableArray: never symbols, syntax nodes
// or compilations, so the incremental pipeline can compare them and skip emitting when nothing changed.

/// <summary>Where a generated partial type goes: its namespace, containing types and declaration keyword.</summary>
/// <param name="Namespace">The namespace, empty for the global one.</param>
/// <param name="Name">The type's name as declared (with type parameters, if any).</param>
/// <param name="Keyword">The declaration keyword: <c>struct</c>, <c>record struct</c>, <c>class</c> or <c>record</c>.</param>
/// <param name="Containers">Declarations of the containing types, outermost first, e.g. <c>partial struct Outer</c>.</param>
/// <param name="FullName">The <c>global::</c>-qualified name.</param>
/// <param name="HintName">The file name stem, unique per type.</param>
internal sealed record TypeDeclaration(string Namespace, string Name, string Keyword, EquatableArray<string> Containers, string FullName, string HintName);

internal enum FieldKind { Discrete, Enum, Boolean, Continuous, Nested }

/// <summary>One field of an observation.</summary>
/// <param name="Name">The member name.</param>
/// <param name="Kind">How the field is encoded.</param>
/// <param name="TypeName">The field's <c>global::</c> type name.</param>
/// <param name="Count">Discrete kinds: the number of values (the radix).</param>
/// <param name="Min">[Discrete]: the smallest value.</param>
/// <param name="Low">[Continuous]: the lower bound.</param>
/// <param name="High">[Continuous]: the upper bound.</param>
/// <param name="FeatureCount">The number of network features the field writes.</param>
/// <param name="IsSingle">[Continuous]: the field is a float (not a double).</param>
internal sealed record FieldSpec(string Name, FieldKind Kind, string TypeName, long Count, int Min, double Low, double High, int FeatureCount, bool IsSingle);

/// <summary>An observation type and its space.</summary>
/// <param name="Type">Where to generate.</param>
/// <param name="Fields">The fields, in declaration order (the first is the most significant digit of the index).</param>
/// <param name="Positional">Construct with the primary constructor (a positional record) rather than an object initializer.</param>
/// <param name="IsDiscrete">Every field is discrete, so the space has a dense index.</param>
/// <param name="Count">The number of discrete values, when discrete.</param>
/// <param name="FeatureCount">The total network feature count.</param>
internal sealed record ObservationSpec(TypeDeclaration Type, EquatableArray<FieldSpec> Fields, bool Positional, bool IsDiscrete, long Count, int FeatureCount);

/// <summary>An environment and everything the trainers need of it.</summary>
/// <param name="Type">Where to generate.</param>
/// <param name="DisplayName">The name shown in logs and tracking.</param>
/// <param name="MaxEpisodeSteps">The time limit, 0 for none.</param>
/// <param name="ObservationType">The observation's <c>global::</c> name.</param>
/// <param name="ActionType">The action's <c>global::</c> name.</param>
/// <param name="ActionIsEnum">Actions are an enum (else an int).</param>
/// <param name="ActionCount">The number of actions.</param>
/// <param name="StateCount">The number of discrete observations, 0 when the observation is not discrete.</param>
/// <param name="FeatureCount">The number of network features of an observation.</param>
/// <param name="Spaces">The observation and any nested observation types, innermost first.</param>
internal sealed record EnvironmentSpec(TypeDeclaration Type, string DisplayName, int MaxEpisodeSteps, string ObservationType, string ActionType,
    bool ActionIsEnum, int ActionCount, long StateCount, int FeatureCount, EquatableArray<ObservationSpec> Spaces);

internal enum ValueKind { Int32, Int64, Single, Double, Boolean, String, Enum }

internal enum SweepShape { None, Values, Range, LogRange }

/// <summary>One bindable hyperparameter.</summary>
/// <param name="Name">The property name and configuration key.</param>
/// <param name="Kind">The value type.</param>
/// <param name="TypeName">The <c>global::</c> type name.</param>
/// <param name="DisplayType">The type as the help shows it.</param>
/// <param name="HasRange">A [ValidRange] applies.</param>
/// <param name="RangeMin">The range's minimum.</param>
/// <param name="RangeMax">The range's maximum.</param>
/// <param name="MinExclusive">The minimum is excluded.</param>
/// <param name="RangeDeclaredHere">The range was declared on this type (not inherited), so this type's Validate checks it.</param>
/// <param name="Sweep">The declared sweep.</param>
/// <param name="SweepValues">Listed sweep values as C# string literals' contents (invariant).</param>
/// <param name="SweepMin">Sweep range minimum.</param>
/// <param name="SweepMax">Sweep range maximum.</param>
/// <param name="SweepSteps">Sweep grid points.</param>
/// <param name="Description">The doc comment summary.</param>
internal sealed record PropertySpec(string Name, ValueKind Kind, string TypeName, string DisplayType,
    bool HasRange, double RangeMin, double RangeMax, bool MinExclusive, bool RangeDeclaredHere,
    SweepShape Sweep, EquatableArray<string> SweepValues, double SweepMin, double SweepMax, int SweepSteps, string Description);

/// <summary>A hyperparameter type.</summary>
/// <param name="Type">Where to generate.</param>
/// <param name="IsRecord">A record (bind with <c>with</c>) rather than a class (bind with an object initializer).</param>
/// <param name="HasGeneratedBase">A base type is also [Hyperparameters]: statics hide with <c>new</c>, instance members override.</param>
/// <param name="IsSealed">The type is sealed: its instance members cannot be virtual.</param>
/// <param name="Properties">Every bindable property, own and inherited, ordered by name.</param>
/// <param name="BaseType">The nearest [Hyperparameters] base type's <c>global::</c> name, when there is one.</param>
internal sealed record HyperparametersSpec(TypeDeclaration Type, bool IsRecord, bool HasGeneratedBase, bool IsSealed, EquatableArray<PropertySpec> Properties, string? BaseType);

/// <summary>An experiment: a name tying an environment, settings and an algorithm.</summary>
/// <param name="Type">Where to generate.</param>
/// <param name="Name">The experiment's name on the command line.</param>
/// <param name="Algorithm">The algorithm's display name.</param>
/// <param name="EnvironmentType">The environment's <c>global::</c> name.</param>
/// <param name="SettingsType">The settings' <c>global::</c> name.</param>
/// <param name="Description">The doc comment summary of the experiment class.</param>
/// <param name="Location">Where the attribute is, for the duplicate-name diagnostic.</param>
internal sealed record ExperimentSpec(TypeDeclaration Type, string Name, string Algorithm, string EnvironmentType, string SettingsType, string Description, LocationInfo? Location);
