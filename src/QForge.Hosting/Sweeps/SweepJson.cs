using System.Text.Json;
using System.Text.Json.Serialization;

namespace QForge.Hosting.Sweeps;

/// <summary>
/// The JSON of a sweep's specification (<c>sweep.json</c>) and trial records, with serialisers generated at compile time:
/// the reflection-based serialiser JIT-compiled over a thousand methods while the first trials ran, which on 2 cores
/// took CPU from the trials themselves. NaN is allowed: it marks a missing objective (a failed trial).
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(SweepPlan))]
[JsonSerializable(typeof(TrialResult))]
internal sealed partial class SweepJson : JsonSerializerContext
{
    /// <summary>The same, indented, for files people read (<c>sweep.json</c>).</summary>
    public static SweepJson Indented { get; } = new(new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
