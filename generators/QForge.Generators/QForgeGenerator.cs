using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using QForge.Generators.Diagnostics;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>
/// QForge's incremental generator: [Environment] structs get their observation spaces and trainer view,
/// [Hyperparameters] types their binding, validation, help and sweep space, [Experiment] classes their registration.
/// Each attribute has its own pipeline; parsing yields an equatable model plus diagnostics, which go to separate
/// outputs so that emitting reruns only when a model changes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class QForgeGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var environments = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.EnvironmentAttribute, static (node, _) => true, static (ctx, ct) => Invariant(() => EnvironmentParser.Parse(ctx, ct)))
            .WithTrackingName(TrackingNames.Environments);
        Report(context, environments);
        var validEnvironments = environments.Select(static (r, _) => r.Value).Where(static v => v is not null)!;
        context.RegisterSourceOutput(validEnvironments,
            static (spc, spec) => spc.AddSource($"{spec!.Type.HintName}.Environment.g.cs", Invariant(() => EnvironmentEmitter.Environment(spec))));

        // An observation type may serve several environments: emit each space once.
        var spaces = validEnvironments
            .SelectMany(static (e, _) => e!.Spaces)
            .Collect()
            .SelectMany(static (all, _) => all.GroupBy(s => s.Type.FullName).Select(g => g.First()).ToImmutableArray())
            .WithTrackingName(TrackingNames.Observations);
        context.RegisterSourceOutput(spaces, static (spc, spec) => spc.AddSource($"{spec.Type.HintName}.Space.g.cs", Invariant(() => EnvironmentEmitter.Space(spec))));

        var hyperparameters = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.HyperparametersAttribute, static (node, _) => true, static (ctx, ct) => Invariant(() => HyperparametersParser.Parse(ctx, ct)))
            .WithTrackingName(TrackingNames.Hyperparameters);
        Report(context, hyperparameters);
        context.RegisterSourceOutput(hyperparameters.Select(static (r, _) => r.Value).Where(static v => v is not null),
            static (spc, spec) => spc.AddSource($"{spec!.Type.HintName}.Hyperparameters.g.cs", Invariant(() => HyperparametersEmitter.Emit(spec))));

        var experiments = context.SyntaxProvider
            .ForAttributeWithMetadataName(KnownTypes.ExperimentAttribute, static (node, _) => true, static (ctx, ct) => Invariant(() => ExperimentParser.Parse(ctx, ct)))
            .WithTrackingName(TrackingNames.Experiments);
        Report(context, experiments);
        var validExperiments = experiments.Select(static (r, _) => r.Value).Where(static v => v is not null);
        context.RegisterSourceOutput(validExperiments,
            static (spc, spec) => spc.AddSource($"{spec!.Type.HintName}.Experiment.g.cs", Invariant(() => ExperimentEmitter.Experiment(spec))));

        var catalog = validExperiments.Collect()
            .Select(static (all, _) => all.Select(e => e!).OrderBy(e => e.Type.FullName, System.StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(TrackingNames.ExperimentCatalog);
        context.RegisterSourceOutput(catalog, static (spc, all) =>
        {
            foreach (var duplicate in ExperimentParser.Duplicates(all)) spc.ReportDiagnostic(duplicate.ToDiagnostic());
            if (all.Count > 0) spc.AddSource("QForge.ExperimentRegistration.g.cs", Invariant(() => ExperimentEmitter.Catalog(all.ToList())));
        });
    }

    private static void Report<T>(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<Result<T>> results) where T : class, System.IEquatable<T>
    {
        var diagnostics = results.Select(static (r, _) => r.Diagnostics).Where(static d => d.Count > 0);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var diagnostic in list) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
        });
    }

    /// <summary>Runs parsing and emitting under the invariant culture, so output never depends on the machine's locale.</summary>
    private static TResult Invariant<TResult>(System.Func<TResult> work)
    {
#pragma warning disable RS1035 // Deliberate, as in System.Text.Json's generator: generated text must not depend on the build machine's culture.
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try { return work(); }
        finally { CultureInfo.CurrentCulture = saved; }
#pragma warning restore RS1035
    }
}
