using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QForge.Generators.Diagnostics;
using QForge.Generators.Helpers;
using QForge.Generators.Model;

namespace QForge.Generators;

/// <summary>Turns an [Experiment] class into an <see cref="ExperimentSpec"/>.</summary>
internal static class ExperimentParser
{
    private static readonly Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9._-]*$");

    public static Result<ExperimentSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();
        var location = LocationInfo.From((context.TargetNode as TypeDeclarationSyntax)?.Identifier.GetLocation());
        var attributeLocation = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? location;

        if (!type.IsPartialAll())
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, type.Name, "experiment registration"));

        string name = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
        if (!ValidName.IsMatch(name))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidExperimentName, attributeLocation, name));

        INamedTypeSymbol? algorithm = null;
        string algorithmName = "";
        for (var b = type.BaseType; b is not null && algorithm is null; b = b.BaseType)
        {
            algorithmName = b.OriginalDefinition.ToDisplayString() switch
            {
                "QForge.Tabular.QLearningExperiment<TEnvironment, TSettings>" => "Q-learning",
                "QForge.Dqn.DqnExperiment<TEnvironment, TSettings>" => "DQN",
                _ => "",
            };
            if (algorithmName.Length > 0) algorithm = b;
        }
        if (algorithm is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ExperimentWithoutAlgorithm, location, type.Name));
            return new Result<ExperimentSpec>(null, diagnostics.ToEquatableArray());
        }

        var settings = algorithm.TypeArguments[1];
        if (settings.Attribute(KnownTypes.HyperparametersAttribute) is null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ExperimentSettingsNotGenerated, location, type.Name, settings.ToDisplayString()));

        if (diagnostics.Count > 0)
            return new Result<ExperimentSpec>(null, diagnostics.ToEquatableArray());
        var spec = new ExperimentSpec(type.Declaration(), name, algorithmName, algorithm.TypeArguments[0].GlobalName(), settings.GlobalName(), type.Summary(), attributeLocation);
        return new Result<ExperimentSpec>(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>Reports every experiment whose name an earlier one already uses.</summary>
    public static IEnumerable<DiagnosticInfo> Duplicates(IEnumerable<ExperimentSpec> experiments)
    {
        var first = new Dictionary<string, ExperimentSpec>(System.StringComparer.OrdinalIgnoreCase);
        foreach (var experiment in experiments.OrderBy(e => e.Type.FullName, System.StringComparer.Ordinal))
        {
            if (first.TryGetValue(experiment.Name, out var earlier))
                yield return DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateExperimentName, experiment.Location, experiment.Name, earlier.Type.Name, experiment.Type.Name);
            else
                first[experiment.Name] = experiment;
        }
    }
}
