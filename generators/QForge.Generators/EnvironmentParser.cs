using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QForge.Generators.Diagnostics;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>Turns an [Environment] struct and its observation and action types into an <see cref="EnvironmentSpec"/>.</summary>
internal static class EnvironmentParser
{
    /// <summary>The largest discrete space QForge indexes (the dense index is an int).</summary>
    public const long MaxStates = int.MaxValue;

    public static Result<EnvironmentSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var environment = (INamedTypeSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var location = LocationInfo.From((context.TargetNode as TypeDeclarationSyntax)?.Identifier.GetLocation());
        string name = environment.Name;

        if (!environment.IsPartialAll())
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, name, "environment glue"));

        int maxSteps = attribute.Named("MaxEpisodeSteps", 0);
        if (maxSteps < 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBounds, location, $"[Environment] on '{name}'", $"MaxEpisodeSteps = {maxSteps} must be 0 (no limit) or positive"));

        var contract = environment.AllInterfaces.FirstOrDefault(i => i.OriginalDefinition.ToDisplayString() == "QForge.IEnvironment<TObservation, TAction>");
        if (contract is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoEnvironmentInterface, location, name));
            return new Result<EnvironmentSpec>(null, diagnostics.ToEquatableArray());
        }

        var observation = contract.TypeArguments[0];
        var action = contract.TypeArguments[1];
        cancellationToken.ThrowIfCancellationRequested();

        int actionCount = ParseAction(action, attribute, name, location, diagnostics);
        var spaces = new List<ObservationSpec>();
        var root = observation is INamedTypeSymbol named ? ParseObservation(named, name, location, spaces, diagnostics, depth: 0) : null;
        if (root is null && observation is not INamedTypeSymbol)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedObservation, location, observation.ToDisplayString(), "it must be a struct"));

        if (diagnostics.Count > 0 || root is null)
            return new Result<EnvironmentSpec>(null, diagnostics.ToEquatableArray());

        var spec = new EnvironmentSpec(environment.Declaration(), attribute.Named<string>("Name") ?? name, maxSteps, observation.GlobalName(),
            action.GlobalName(), action.TypeKind == TypeKind.Enum, actionCount, root.IsDiscrete ? root.Count : 0, root.FeatureCount, spaces.ToEquatableArray());
        return new Result<EnvironmentSpec>(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    private static int ParseAction(ITypeSymbol action, AttributeData attribute, string environment, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (action is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
            return EnumCount(enumType, location, diagnostics);
        int declared = attribute.Named("ActionCount", 0);
        if (action.SpecialType == SpecialType.System_Int32 && declared > 0)
            return declared;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ActionNotDiscrete, location, action.ToDisplayString(), environment));
        return 0;
    }

    /// <summary>The member count of an enum numbered 0..n-1, or 0 with a diagnostic.</summary>
    public static int EnumCount(INamedTypeSymbol enumType, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var values = enumType.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue)
            .Select(f => System.Convert.ToInt64(f.ConstantValue)).Distinct().OrderBy(v => v).ToList();
        string? problem = values.Count == 0 ? "it has no members"
            : values.Where((v, i) => v != i).Any() ? $"its values are {string.Join(", ", values)}"
            : enumType.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.FlagsAttribute") && values.Count > 2 ? "it is a [Flags] enum"
            : null;
        if (problem is null) return values.Count;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BadEnum, LocationInfo.From(enumType) ?? location, enumType.ToDisplayString(), problem));
        return 0;
    }

    /// <summary>Parses an observation type (and nested ones into <paramref name="spaces"/>, innermost first).</summary>
    private static ObservationSpec? ParseObservation(INamedTypeSymbol type, string environment, LocationInfo? usage, List<ObservationSpec> spaces,
        List<DiagnosticInfo> diagnostics, int depth)
    {
        string typeName = type.ToDisplayString();
        var location = LocationInfo.From(type) ?? usage;
        if (type.TypeKind != TypeKind.Struct || type.SpecialType != SpecialType.None || depth > 8)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedObservation, usage, typeName,
                depth > 8 ? "observations nest deeper than 8 levels" : "it must be a struct or record struct of bounded fields declared in this project"));
            return null;
        }
        if (type.DeclaringSyntaxReferences.Length == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedObservation, usage, typeName, "it is declared in another assembly; declare the observation in this project"));
            return null;
        }
        if (!type.IsPartialAll())
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, type.Name, "observation space"));

        var (members, positional) = ObservationMembers(type);
        if (members.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedObservation, location, typeName,
                "it has no fields; declare them as a positional record struct or as public instance fields"));
            return null;
        }

        var fields = new List<FieldSpec>();
        foreach (var (memberName, memberType, attributes, memberLocation) in members)
        {
            var field = ParseField(typeName, memberName, memberType, attributes, memberLocation ?? location, environment, spaces, diagnostics, depth);
            if (field is not null) fields.Add(field);
        }
        if (fields.Count != members.Count) return null;

        bool discrete = fields.All(f => f.Kind != FieldKind.Continuous && (f.Kind != FieldKind.Nested || f.Count > 0));
        long count = 1;
        foreach (var f in fields.Where(_ => discrete))
            count = count > MaxStates ? count : count * f.Count;
        if (discrete && count > MaxStates)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpaceTooLarge, location, typeName, count > MaxStates * 1000 ? "more than 2^40" : count.ToString(), MaxStates.ToString()));
            return null;
        }
        var spec = new ObservationSpec(type.Declaration(), fields.ToEquatableArray(), positional, discrete, discrete ? count : 0, fields.Sum(f => f.FeatureCount));
        if (!spaces.Any(s => s.Type.FullName == spec.Type.FullName)) spaces.Add(spec);
        return spec;
    }

    private static (List<(string Name, ITypeSymbol Type, IEnumerable<AttributeData> Attributes, LocationInfo? Location)>, bool Positional) ObservationMembers(INamedTypeSymbol type)
    {
        var members = new List<(string, ITypeSymbol, IEnumerable<AttributeData>, LocationInfo?)>();
        // A positional record struct: the primary constructor's parameters, in order.
        var primary = type.IsRecord ? type.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length > 0 &&
            c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is RecordDeclarationSyntax)) : null;
        if (primary is not null)
        {
            foreach (var parameter in primary.Parameters)
            {
                var property = type.GetMembers(parameter.Name).OfType<IPropertySymbol>().FirstOrDefault();
                var attributes = parameter.GetAttributes().Concat(property?.GetAttributes() ?? Enumerable.Empty<AttributeData>());
                members.Add((parameter.Name, parameter.Type, attributes, LocationInfo.From(parameter)));
            }
            return (members, true);
        }
        foreach (var member in type.GetMembers())
        {
            if (member.IsStatic || member.DeclaredAccessibility != Accessibility.Public || member.IsImplicitlyDeclared) continue;
            if (member is IFieldSymbol { IsConst: false } field)
                members.Add((field.Name, field.Type, field.GetAttributes(), LocationInfo.From(field)));
            else if (member is IPropertySymbol { IsIndexer: false, SetMethod: not null } property)
                members.Add((property.Name, property.Type, property.GetAttributes(), LocationInfo.From(property)));
        }
        return (members, false);
    }

    private static FieldSpec? ParseField(string owner, string name, ITypeSymbol type, IEnumerable<AttributeData> attributes, LocationInfo? location,
        string environment, List<ObservationSpec> spaces, List<DiagnosticInfo> diagnostics, int depth)
    {
        var discrete = attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.DiscreteAttribute);
        var continuous = attributes.FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.ContinuousAttribute);
        string typeName = type.GlobalName();

        if (type.SpecialType == SpecialType.System_Int32 && discrete is not null)
        {
            int count = discrete.ConstructorArguments[0].Value is int c ? c : 0;
            int min = discrete.Named("Min", 0);
            if (count <= 0 || (long)min + count - 1 > int.MaxValue)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBounds, location, $"[Discrete] on '{owner}.{name}'",
                    count <= 0 ? $"count {count} must be positive" : $"Min {min} + count {count} exceeds int.MaxValue"));
                return null;
            }
            return new FieldSpec(name, FieldKind.Discrete, typeName, count, min, 0, 0, count, false);
        }
        if (type.SpecialType == SpecialType.System_Boolean)
            return new FieldSpec(name, FieldKind.Boolean, typeName, 2, 0, 0, 0, 1, false);
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
        {
            int count = EnumCount(enumType, location, diagnostics);
            return count > 0 ? new FieldSpec(name, FieldKind.Enum, typeName, count, 0, 0, 0, count, false) : null;
        }
        if (type.SpecialType is SpecialType.System_Single or SpecialType.System_Double && continuous is not null)
        {
            if (continuous.ConstructorArguments.Length == 0)
                return new FieldSpec(name, FieldKind.Continuous, typeName, 0, 0, double.NegativeInfinity, double.PositiveInfinity, 1, type.SpecialType == SpecialType.System_Single);
            double low = System.Convert.ToDouble(continuous.ConstructorArguments[0].Value);
            double high = System.Convert.ToDouble(continuous.ConstructorArguments[1].Value);
            if (!(low < high) || double.IsInfinity(low) || double.IsInfinity(high))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBounds, location, $"[Continuous] on '{owner}.{name}'", $"min {low} must be below max {high}, both finite"));
                return null;
            }
            return new FieldSpec(name, FieldKind.Continuous, typeName, 0, 0, low, high, 1, type.SpecialType == SpecialType.System_Single);
        }
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None } nested && nested.DeclaringSyntaxReferences.Length > 0
            && nested.ContainingNamespace?.ToDisplayString().StartsWith("System") != true)
        {
            var inner = ParseObservation(nested, environment, location, spaces, diagnostics, depth + 1);
            return inner is null ? null : new FieldSpec(name, FieldKind.Nested, typeName, inner.IsDiscrete ? inner.Count : 0, 0, 0, 0, inner.FeatureCount, false);
        }
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedObservationField, location, name, owner, type.ToDisplayString()));
        return null;
    }
}
