using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using QForge.Generators.Model;

namespace QForge.Generators.Helpers;

internal static class SymbolExtensions
{
    private static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    /// <summary>The <c>global::</c>-qualified name, with C# keywords for special types.</summary>
    public static string GlobalName(this ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    /// <summary>True when the type and every containing type are declared <c>partial</c> in source.</summary>
    public static bool IsPartialAll(this INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(m => m.ValueText == "partial"));
            if (!partial) return false;
        }
        return true;
    }

    /// <summary>The declaration keyword of a type: struct, record struct, class, record or interface.</summary>
    public static string Keyword(this INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    public static TypeDeclaration Declaration(this INamedTypeSymbol type)
    {
        var containers = new List<string>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
            containers.Insert(0, $"partial {t.Keyword()} {t.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}");
        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
        string name = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        string hint = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "").Replace('<', '{').Replace('>', '}');
        return new TypeDeclaration(ns, name, type.Keyword(), containers.ToEquatableArray(), type.GlobalName(), hint);
    }

    public static AttributeData? Attribute(this ISymbol symbol, string metadataName) =>
        symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static T? Named<T>(this AttributeData attribute, string name, T? fallback = default)
    {
        foreach (var pair in attribute.NamedArguments)
            if (pair.Key == name && pair.Value.Value is T value) return value;
        return fallback;
    }

    /// <summary>The summary of a member's XML doc comment as one line, following inheritdoc to overridden members.</summary>
    public static string Summary(this ISymbol symbol)
    {
        for (ISymbol? s = symbol; s is not null; s = (s as IPropertySymbol)?.OverriddenProperty)
        {
            string? xml = s.GetDocumentationCommentXml();
            if (string.IsNullOrWhiteSpace(xml)) continue;
            try
            {
                var summary = XElement.Parse(xml).Element("summary");
                if (summary is null) continue;
                string text = string.Concat(summary.Nodes().Select(n => n is XElement e
                    ? (string?)e.Attribute("cref")?.Value.Split('.').Last() ?? (string?)e.Attribute("name") ?? (string?)e.Attribute("langword") ?? e.Value
                    : n.ToString()));
                text = Regex.Replace(System.Net.WebUtility.HtmlDecode(text), @"\s+", " ").Trim();
                if (text.StartsWith("T:") || text.StartsWith("P:")) text = text.Substring(2);
                if (text.Length > 0) return text;
            }
            catch (System.Xml.XmlException)
            {
                // Malformed doc comments are the compiler's to report; the help shows no description.
            }
        }
        return "";
    }
}
