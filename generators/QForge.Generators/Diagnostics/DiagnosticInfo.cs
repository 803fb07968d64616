using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using QForge.Generators.Helpers;

namespace QForge.Generators.Diagnostics;

/// <summary>A location as plain values, so models stay free of syntax trees.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(ISymbol symbol) => From(symbol.Locations.FirstOrDefault());
}

/// <summary>A diagnostic as plain values: the descriptor's id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() => Diagnostic.Create(DiagnosticDescriptors.ById[Id], Location?.ToLocation(), Arguments.Cast<object>().ToArray());
}

/// <summary>A model and the diagnostics found while building it; the pipeline sends each to its own output.</summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics) where T : class, IEquatable<T>;
