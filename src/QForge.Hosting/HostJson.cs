using System.Text.Json.Serialization;
using QForge.Training;

namespace QForge.Hosting;

/// <summary>
/// The JSON files a training run writes (<c>run.json</c>, and the <c>config.json</c> and <c>evaluation.json</c>
/// artifacts), indented for people, with serialisers generated at compile time: the reflection-based serialiser spent
/// ~10 ms of JIT on its first use in every run.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(RunRecord))]
[JsonSerializable(typeof(EvaluationResult))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class HostJson : JsonSerializerContext;
