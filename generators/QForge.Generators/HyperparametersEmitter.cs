using System.Linq;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>Writes binding, validation, the parameter dictionary, the help and the sweep space of a hyperparameter type.</summary>
internal static class HyperparametersEmitter
{
    private const string Binding = "global::QForge.HyperparameterBinding";
    private const string Errors = "global::System.Collections.Generic.List<string>";

    public static string Emit(HyperparametersSpec spec)
    {
        string self = spec.Type.FullName;
        string hide = spec.HasGeneratedBase ? "new " : "";
        string inherit = spec.HasGeneratedBase ? "override" : "virtual";
        if (spec.IsSealed && !spec.HasGeneratedBase) inherit = "";
        return Emitter.File(spec.Type, $"global::QForge.IHyperparameters<{self}>", w =>
        {
            w.Line("private static readonly string[] HyperparameterNames =");
            w.Line("[");
            foreach (var p in spec.Properties) w.Line($"    {Emitter.Literal(p.Name)},");
            w.Line("];");
            w.Line();

            w.Line("/// <summary>Reads every hyperparameter present in <paramref name=\"configuration\"/> over <paramref name=\"baseline\"/> (the defaults when null), then validates.</summary>");
            w.Line("/// <exception cref=\"global::QForge.HyperparameterException\">Unknown keys, unparsable or out-of-range values; every problem is listed.</exception>");
            w.Open($"public static {self} Bind(global::Microsoft.Extensions.Configuration.IConfiguration configuration, {self}? baseline = null)");
            w.Line($"baseline ??= new {self}();");
            w.Line($"var errors = new {Errors}();");
            w.Line($"{Binding}.CheckKeys(configuration, HyperparameterNames, errors);");
            foreach (var p in spec.Properties)
                w.Line($"var {Emitter.Local(p.Name)} = {Read(p)};");
            string assignments = string.Join(", ", spec.Properties.Select(p => $"{p.Name} = {Emitter.Local(p.Name)}"));
            w.Line(spec.IsRecord ? $"var result = baseline with {{ {assignments} }};" : $"var result = new {self} {{ {assignments} }};");
            w.Line("errors.AddRange(result.Validate());");
            w.Line($"{Binding}.ThrowIfAny(errors);");
            w.Line("return result;");
            w.Close();
            w.Line();

            w.Line("/// <summary>Every hyperparameter with its type, default, valid range, sweep and description.</summary>");
            w.Open($"public static {hide}global::System.Collections.Generic.IReadOnlyList<global::QForge.HyperparameterInfo> Describe()");
            w.Line($"var defaults = new {self}();");
            if (spec.HasGeneratedBase) w.Line($"var inherited = {spec.BaseType}.Describe();");
            w.Line("return");
            w.Line("[");
            foreach (var p in spec.Properties)
            {
                string range = p.HasRange ? $"{Binding}.FormatRange({Emitter.Literal(p.RangeMin)}, {Emitter.Literal(p.RangeMax)}, {(p.MinExclusive ? "true" : "false")})"
                    : p.Kind == ValueKind.Enum ? $"\"one of \" + string.Join(\", \", global::System.Enum.GetNames<{p.TypeName}>())" : "null";
                w.Line($"    new global::QForge.HyperparameterInfo({Emitter.Literal(p.Name)}, {Emitter.Literal(p.DisplayType)}, {Format(p, "defaults." + p.Name)}, {range}, {SweepText(p)}, {Description(spec, p)}),");
            }
            w.Line("];");
            w.Close();
            w.Line();

            var swept = spec.Properties.Where(p => p.Sweep != SweepShape.None).ToList();
            w.Line("/// <summary>The declared sweep space, one dimension per swept hyperparameter, ordered by name.</summary>");
            w.Line($"public static {hide}global::System.Collections.Generic.IReadOnlyList<global::QForge.SweepDimension> SweepSpace {{ get; }} =");
            w.Line("[");
            foreach (var p in swept)
            {
                string kind = p.Sweep switch { SweepShape.Values => "Values", SweepShape.LogRange => "LogRange", _ => "Range" };
                string values = "[" + string.Join(", ", p.SweepValues.Select(Emitter.Literal)) + "]";
                bool integer = p.Kind is ValueKind.Int32 or ValueKind.Int64;
                w.Line($"    new global::QForge.SweepDimension({Emitter.Literal(p.Name)}, global::QForge.SweepKind.{kind}, {values}, {Emitter.Literal(p.SweepMin)}, {Emitter.Literal(p.SweepMax)}, {p.SweepSteps}, {(integer ? "true" : "false")}),");
            }
            w.Line("];");
            w.Line();

            w.Line("/// <summary>Every hyperparameter by name, formatted invariantly (round-trip for floating point): what tracking logs.</summary>");
            w.Open($"public {inherit} global::System.Collections.Generic.IReadOnlyDictionary<string, string> ToParameters() => new global::System.Collections.Generic.SortedDictionary<string, string>(global::System.StringComparer.Ordinal)".Replace("  ", " "));
            foreach (var p in spec.Properties)
                w.Line($"[{Emitter.Literal(p.Name)}] = {Format(p, p.Name)},");
            w.Close(";");
            w.Line();

            w.Line("/// <summary>Every problem with the values: each message names the hyperparameter, its value and what is allowed.</summary>");
            w.Open($"public {inherit} global::System.Collections.Generic.IReadOnlyList<string> Validate()".Replace("  ", " "));
            w.Line(spec.HasGeneratedBase ? $"var errors = new {Errors}(base.Validate());" : $"var errors = new {Errors}();");
            foreach (var p in spec.Properties.Where(p => p.HasRange && p.RangeDeclaredHere))
                w.Line($"{Binding}.Range(errors, {Emitter.Literal(p.Name)}, {p.Name}, {Emitter.Literal(p.RangeMin)}, {Emitter.Literal(p.RangeMax)}, {(p.MinExclusive ? "true" : "false")});");
            w.Line("OnValidate(errors);");
            w.Line("return errors;");
            w.Close();
            w.Line();
            w.Line("/// <summary>Implement to add checks that span several hyperparameters.</summary>");
            w.Line($"partial void OnValidate({Errors} errors);");
        });
    }

    /// <summary>The doc summary; an inherited one (from inheritdoc or a base in another assembly) is taken from the base's help at run time.</summary>
    private static string Description(HyperparametersSpec spec, PropertySpec p) =>
        p.Description.Length > 0 || !spec.HasGeneratedBase ? Emitter.Literal(p.Description)
        : $"{Binding}.InheritedDescription(inherited, {Emitter.Literal(p.Name)})";

    private static string Read(PropertySpec p) => p.Kind switch
    {
        ValueKind.Int32 => $"{Binding}.Int32(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
        ValueKind.Int64 => $"{Binding}.Int64(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
        ValueKind.Single => $"{Binding}.Single(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
        ValueKind.Double => $"{Binding}.Double(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
        ValueKind.Boolean => $"{Binding}.Boolean(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
        ValueKind.String => $"{Binding}.String(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name})",
        _ => $"{Binding}.Enum<{p.TypeName}>(configuration, {Emitter.Literal(p.Name)}, baseline.{p.Name}, errors)",
    };

    private static string Format(PropertySpec p, string expression) => p.Kind switch
    {
        ValueKind.String => $"{expression} ?? \"\"",
        ValueKind.Enum => $"{expression}.ToString()",
        _ => $"{Binding}.Format({expression})",
    };

    private static string SweepText(PropertySpec p) => p.Sweep switch
    {
        SweepShape.Values => Emitter.Literal(string.Join(", ", p.SweepValues)),
        SweepShape.Range or SweepShape.LogRange => Emitter.Literal(
            $"{(p.Sweep == SweepShape.LogRange ? "log " : "")}[{p.SweepMin.ToString(System.Globalization.CultureInfo.InvariantCulture)}, {p.SweepMax.ToString(System.Globalization.CultureInfo.InvariantCulture)}] x {p.SweepSteps}"),
        _ => "null",
    };
}
