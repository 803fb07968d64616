using System.Linq;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>Writes the space of an observation type and the trainer view of an environment.</summary>
internal static class EnvironmentEmitter
{
    public static string Environment(EnvironmentSpec spec)
    {
        string self = spec.Type.FullName;
        bool discrete = spec.StateCount > 0;
        string interfaces = (discrete ? $"global::QForge.IDiscreteEnvironment<{self}>, " : "") + $"global::QForge.IFeatureEnvironment<{self}>";
        return Emitter.File(spec.Type, interfaces, w =>
        {
            string action = spec.ActionIsEnum ? $"({spec.ActionType})action" : "action";
            w.Line($"/// <summary>The environment's display name.</summary>");
            w.Line($"public static string Name => {Emitter.Literal(spec.DisplayName)};");
            w.Line();
            w.Line($"/// <summary>The number of network features of an observation: {spec.FeatureCount}.</summary>");
            w.Line($"public static int FeatureCount => {spec.FeatureCount};");
            w.Line();
            w.Line($"/// <summary>The number of actions: {spec.ActionCount}.</summary>");
            w.Line($"public static int ActionCount => {spec.ActionCount};");
            w.Line();
            w.Line($"/// <summary>The time limit in steps (0: none).</summary>");
            w.Line($"public static int MaxEpisodeSteps => {spec.MaxEpisodeSteps};");
            w.Line();
            w.Line("/// <summary>Resets and writes the first observation's features.</summary>");
            w.Line($"public void ResetFeatures(ref global::QForge.Rng rng, global::System.Span<float> features) => {spec.ObservationType}.WriteFeatures(Reset(ref rng), features);");
            w.Line();
            w.Line("/// <summary>Steps with the action of index <paramref name=\"action\"/> and writes the next observation's features.</summary>");
            w.Open("public global::QForge.FeatureStep StepFeatures(int action, ref global::QForge.Rng rng, global::System.Span<float> features)");
            w.Line($"var step = Step({action}, ref rng);");
            w.Line($"{spec.ObservationType}.WriteFeatures(step.Observation, features);");
            w.Line("return new global::QForge.FeatureStep((float)step.Reward, step.Terminated, step.Truncated, step.Success);");
            w.Close();
            if (!discrete) return;
            string encode = $"{spec.ObservationType}.Encode";
            w.Line();
            w.Line($"/// <summary>The number of distinct observations: {spec.StateCount}.</summary>");
            w.Line($"public static int StateCount => {spec.StateCount};");
            w.Line();
            w.Line("/// <summary>Resets and returns the index of the first observation.</summary>");
            w.Line($"public int ResetState(ref global::QForge.Rng rng) => {encode}(Reset(ref rng));");
            w.Line();
            w.Line("/// <summary>Steps with the action of index <paramref name=\"action\"/> and returns the next observation's index.</summary>");
            w.Open("public global::QForge.DiscreteStep StepState(int action, ref global::QForge.Rng rng)");
            w.Line($"var step = Step({action}, ref rng);");
            w.Line($"return new global::QForge.DiscreteStep({encode}(step.Observation), (float)step.Reward, step.Terminated, step.Truncated, step.Success);");
            w.Close();
        });
    }

    public static string Space(ObservationSpec spec)
    {
        string self = spec.Type.FullName;
        string interfaces = (spec.IsDiscrete ? $"global::QForge.IDiscreteSpace<{self}>, " : "") + $"global::QForge.IFeatureSpace<{self}>";
        return Emitter.File(spec.Type, interfaces, w =>
        {
            if (spec.IsDiscrete) WriteDiscrete(w, spec);
            WriteFeatures(w, spec);
        });
    }

    private static void WriteDiscrete(SourceWriter w, ObservationSpec spec)
    {
        string self = spec.Type.FullName;
        string typeName = spec.Type.Name;
        w.Line($"/// <summary>The number of distinct values: {spec.Count}.</summary>");
        w.Line($"public static int Count => {spec.Count};");
        w.Line();
        w.Line("/// <summary>The dense index of <paramref name=\"value\"/>: mixed radix over the fields, the first field most significant.</summary>");
        w.Line("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">A field is outside its declared bounds.</exception>");
        w.Open($"public static int Encode(in {self} value)");
        w.Line("uint index = 0;");
        foreach (var f in spec.Fields)
        {
            string digit = f.Kind switch
            {
                FieldKind.Discrete => $"(uint)(value.{f.Name} - ({f.Min}))",
                FieldKind.Enum => $"(uint)(int)value.{f.Name}",
                FieldKind.Boolean => $"(value.{f.Name} ? 1u : 0u)",
                _ => $"(uint){f.TypeName}.Encode(value.{f.Name})",
            };
            if (f.Kind is FieldKind.Discrete or FieldKind.Enum)
            {
                w.Line($"uint {Emitter.Local(f.Name)}Digit = {digit};");
                w.Line($"if ({Emitter.Local(f.Name)}Digit >= {f.Count}u) global::QForge.SpaceErrors.FieldOutOfRange({Emitter.Literal(typeName)}, {Emitter.Literal(f.Name)}, (long)value.{f.Name}, {(f.Kind == FieldKind.Enum ? 0 : f.Min)}, {f.Count});");
                digit = $"{Emitter.Local(f.Name)}Digit";
            }
            w.Line($"index = index * {f.Count}u + {digit};");
        }
        w.Line("return (int)index;");
        w.Close();
        w.Line();
        w.Line("/// <summary>The value with index <paramref name=\"index\"/>, in [0, Count).</summary>");
        w.Open($"public static {self} Decode(int index)");
        w.Line($"if ((uint)index >= {spec.Count}u) global::QForge.SpaceErrors.IndexOutOfRange({Emitter.Literal(typeName)}, index, {spec.Count});");
        w.Line("uint rest = (uint)index;");
        foreach (var f in spec.Fields.Reverse())
        {
            string digit = $"rest % {f.Count}u";
            string value = f.Kind switch
            {
                FieldKind.Discrete => $"(int)({digit}) + ({f.Min})",
                FieldKind.Enum => $"({f.TypeName})(int)({digit})",
                FieldKind.Boolean => $"({digit}) != 0u",
                _ => $"{f.TypeName}.Decode((int)({digit}))",
            };
            w.Line($"var {Emitter.Local(f.Name)} = {value};");
            w.Line($"rest /= {f.Count}u;");
        }
        w.Line($"return {Construct(spec)};");
        w.Close();
        w.Line();
    }

    private static void WriteFeatures(SourceWriter w, ObservationSpec spec)
    {
        string self = spec.Type.FullName;
        w.Line($"/// <summary>The number of network features: {spec.FeatureCount}.</summary>");
        w.Line($"public static int FeatureCount => {spec.FeatureCount};");
        w.Line();
        w.Line("/// <summary>Writes the features of <paramref name=\"value\"/>: one-hot for discrete fields, [-1, 1] for bounded continuous ones, the raw value for unbounded ones, 0/1 for booleans.</summary>");
        w.Open($"public static void WriteFeatures(in {self} value, global::System.Span<float> features)");
        w.Line($"if (features.Length < {spec.FeatureCount}) global::QForge.SpaceErrors.FeatureSpanTooShort({Emitter.Literal(spec.Type.Name)}, features.Length, {spec.FeatureCount});");
        int offset = 0;
        foreach (var f in spec.Fields)
        {
            switch (f.Kind)
            {
                case FieldKind.Discrete:
                case FieldKind.Enum:
                    string digit = f.Kind == FieldKind.Enum ? $"(int)value.{f.Name}" : $"value.{f.Name} - ({f.Min})";
                    w.Line($"features.Slice({offset}, {f.Count}).Clear();");
                    w.Line($"features[{offset} + ({digit})] = 1f;");
                    break;
                case FieldKind.Boolean:
                    w.Line($"features[{offset}] = value.{f.Name} ? 1f : 0f;");
                    break;
                case FieldKind.Continuous when double.IsInfinity(f.Low):
                    w.Line($"features[{offset}] = (float)value.{f.Name};");
                    break;
                case FieldKind.Continuous:
                    double scale = 2.0 / (f.High - f.Low);
                    w.Line($"features[{offset}] = (float)((value.{f.Name} - ({Emitter.Literal(f.Low)})) * {Emitter.Literal(scale)} - 1d);");
                    break;
                default:
                    w.Line($"{f.TypeName}.WriteFeatures(value.{f.Name}, features.Slice({offset}, {f.FeatureCount}));");
                    break;
            }
            offset += f.FeatureCount;
        }
        w.Close();
    }

    private static string Construct(ObservationSpec spec) => spec.Positional
        ? $"new {spec.Type.FullName}({string.Join(", ", spec.Fields.Select(f => Emitter.Local(f.Name)))})"
        : $"new {spec.Type.FullName} {{ {string.Join(", ", spec.Fields.Select(f => $"{f.Name} = {Emitter.Local(f.Name)}"))} }}";
}
