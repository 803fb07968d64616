using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QForge.Generators.Diagnostics;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>Turns a [Hyperparameters] record or class into a <see cref="HyperparametersSpec"/>.</summary>
internal static class HyperparametersParser
{
    public static Result<HyperparametersSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var diagnostics = new List<DiagnosticInfo>();
        var location = LocationInfo.From((context.TargetNode as TypeDeclarationSyntax)?.Identifier.GetLocation());

        if (!type.IsPartialAll())
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, type.Name, "hyperparameter binding"));
        if (type.IsAbstract || !type.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoParameterlessConstructor, location, type.Name));

        INamedTypeSymbol? generatedBase = null;
        for (var b = type.BaseType; b is not null && generatedBase is null; b = b.BaseType)
            if (b.Attribute(KnownTypes.HyperparametersAttribute) is not null) generatedBase = b;

        // Every public instance property, most-derived first; an override stands for the property it overrides.
        var seen = new HashSet<string>();
        var properties = new List<PropertySpec>();
        for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (var property in t.GetMembers().OfType<IPropertySymbol>())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public || property.Name == "EqualityContract") continue;
                if (!seen.Add(property.Name)) continue;
                var spec = ParseProperty(property, type, diagnostics);
                if (spec is not null) properties.Add(spec);
            }
        }

        if (diagnostics.Any(d => d.Id != DiagnosticDescriptors.HyperparameterUnsupportedType.Id))
            return new Result<HyperparametersSpec>(null, diagnostics.ToEquatableArray());
        var result = new HyperparametersSpec(type.Declaration(), type.IsRecord, generatedBase is not null, type.IsSealed,
            properties.OrderBy(p => p.Name, System.StringComparer.Ordinal).ToEquatableArray(), generatedBase?.GlobalName());
        return new Result<HyperparametersSpec>(result, diagnostics.ToEquatableArray());
    }

    private static PropertySpec? ParseProperty(IPropertySymbol property, INamedTypeSymbol owner, List<DiagnosticInfo> diagnostics)
    {
        var location = LocationInfo.From(property);
        // Attributes may sit on the property or on any property it overrides.
        var chain = new List<IPropertySymbol>();
        for (var p = property; p is not null; p = p.OverriddenProperty) chain.Add(p);
        AttributeData? Find(string name) => chain.Select(p => p.Attribute(name)).FirstOrDefault(a => a is not null);
        var range = Find(KnownTypes.ValidRangeAttribute);
        var sweep = Find(KnownTypes.SweepAttribute);
        var sweepRange = Find(KnownTypes.SweepRangeAttribute);

        bool settable = property.SetMethod is { DeclaredAccessibility: Accessibility.Public } && property.GetMethod is not null;
        if (!settable)
        {
            var marker = range ?? sweep ?? sweepRange;
            if (marker is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HyperparameterNotSettable, location, property.Name, marker.AttributeClass!.Name.Replace("Attribute", "")));
            return null;
        }

        var (kind, display) = Classify(property.Type);
        if (kind is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HyperparameterUnsupportedType, location, property.Name, property.Type.ToDisplayString()));
            return null;
        }

        bool hasRange = range is not null;
        double min = hasRange ? System.Convert.ToDouble(range!.ConstructorArguments[0].Value, CultureInfo.InvariantCulture) : 0;
        double max = hasRange ? System.Convert.ToDouble(range!.ConstructorArguments[1].Value, CultureInfo.InvariantCulture) : 0;
        bool minExclusive = hasRange && range!.Named("MinExclusive", false);
        bool declaredHere = hasRange && SymbolEqualityComparer.Default.Equals(property.ContainingType, owner)
            && property.Attribute(KnownTypes.ValidRangeAttribute) is not null;
        if (hasRange && (kind is ValueKind.Boolean or ValueKind.String or ValueKind.Enum || !(min <= max)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBounds, location, $"[ValidRange] on '{property.Name}'",
                min <= max ? $"a range needs a numeric property, not {display}" : $"min {min} is above max {max}"));
            return null;
        }

        var shape = SweepShape.None;
        var values = new List<string>();
        double sweepMin = 0, sweepMax = 0;
        int steps = 0;
        if (sweep is not null)
        {
            shape = SweepShape.Values;
            var items = sweep.ConstructorArguments.Length == 1 && sweep.ConstructorArguments[0].Kind == TypedConstantKind.Array
                ? sweep.ConstructorArguments[0].Values : sweep.ConstructorArguments;
            foreach (var item in items)
            {
                string? text = SweepValue(item, kind.Value, property.Type);
                string shown = item.Value is string s ? $"\"{s}\"" : System.Convert.ToString(item.Value, CultureInfo.InvariantCulture) ?? "null";
                if (text is null)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SweepValueWrongType, location, shown, property.Name, display));
                else if (hasRange && kind is not (ValueKind.Boolean or ValueKind.String or ValueKind.Enum) && !InRange(double.Parse(text, CultureInfo.InvariantCulture), min, max, minExclusive, kind.Value))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SweepValueOutOfRange, location, shown, property.Name, Range(min, max, minExclusive)));
                else
                    values.Add(text);
            }
            if (items.Length == 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSweepRange, location, property.Name, "[Sweep] lists no values"));
        }
        else if (sweepRange is not null)
        {
            sweepMin = System.Convert.ToDouble(sweepRange.ConstructorArguments[0].Value, CultureInfo.InvariantCulture);
            sweepMax = System.Convert.ToDouble(sweepRange.ConstructorArguments[1].Value, CultureInfo.InvariantCulture);
            bool log = sweepRange.Named("Log", false);
            steps = sweepRange.Named("Steps", 5);
            shape = log ? SweepShape.LogRange : SweepShape.Range;
            string? problem = kind is not (ValueKind.Int32 or ValueKind.Int64 or ValueKind.Single or ValueKind.Double) ? $"a range needs a numeric property, not {display}"
                : !(sweepMin <= sweepMax) ? $"min {sweepMin} is above max {sweepMax}"
                : log && sweepMin <= 0 ? $"a log range needs positive ends, not {sweepMin}"
                : steps < 1 ? $"Steps = {steps} must be at least 1"
                : null;
            if (problem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSweepRange, location, property.Name, problem));
            else if (hasRange)
                foreach (double end in new[] { sweepMin, sweepMax }.Where(e => !InRange(e, min, max, minExclusive, kind.Value)))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SweepValueOutOfRange, location, end.ToString(CultureInfo.InvariantCulture), property.Name, Range(min, max, minExclusive)));
        }

        return new PropertySpec(property.Name, kind.Value, property.Type.GlobalName(), display, hasRange, min, max, minExclusive, declaredHere,
            shape, values.ToEquatableArray(), sweepMin, sweepMax, steps, property.Summary());
    }

    private static (ValueKind?, string) Classify(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Int32 => (ValueKind.Int32, "int"),
        SpecialType.System_Int64 => (ValueKind.Int64, "long"),
        SpecialType.System_Single => (ValueKind.Single, "float"),
        SpecialType.System_Double => (ValueKind.Double, "double"),
        SpecialType.System_Boolean => (ValueKind.Boolean, "bool"),
        SpecialType.System_String => (ValueKind.String, "string"),
        _ when type.TypeKind == TypeKind.Enum => (ValueKind.Enum, type.Name),
        _ => (null, type.ToDisplayString()),
    };

    /// <summary>The sweep value as invariant text, or null when it does not fit the property's type.</summary>
    private static string? SweepValue(TypedConstant item, ValueKind kind, ITypeSymbol type)
    {
        object? value = item.Value;
        switch (kind)
        {
            case ValueKind.Int32 when value is int i: return i.ToString(CultureInfo.InvariantCulture);
            case ValueKind.Int64 when value is int or long: return System.Convert.ToInt64(value).ToString(CultureInfo.InvariantCulture);
            case ValueKind.Double or ValueKind.Single when value is int or long or float or double:
                double d = System.Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return kind == ValueKind.Single ? ((float)d).ToString("R", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);
            case ValueKind.Boolean when value is bool b: return b ? "true" : "false";
            case ValueKind.String when value is string s: return s;
            case ValueKind.Enum when item.Kind == TypedConstantKind.Enum && SymbolEqualityComparer.Default.Equals(item.Type, type):
                return type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value))?.Name;
            case ValueKind.Enum when value is string name:
                return type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && f.Name == name)?.Name;
            default: return null;
        }
    }

    private static bool InRange(double value, double min, double max, bool minExclusive, ValueKind kind) =>
        kind is ValueKind.Boolean or ValueKind.String or ValueKind.Enum || ((minExclusive ? value > min : value >= min) && value <= max);

    private static string Range(double min, double max, bool minExclusive) =>
        string.Format(CultureInfo.InvariantCulture, "{0}{1}, {2}]", minExclusive ? "(" : "[", min, max);
}
