using System.Text.RegularExpressions;

namespace QForge.Tracking;

/// <summary>MLflow's rules for names, so that no key can write outside its run folder.</summary>
public static partial class TrackingKeys
{
    /// <summary>The longest key MLflow accepts.</summary>
    public const int MaxKeyLength = 250;

    /// <summary>The longest param value MLflow keeps (longer ones are cut by servers); QForge refuses them.</summary>
    public const int MaxParamValueLength = 6000;

    /// <summary>The longest tag value MLflow keeps.</summary>
    public const int MaxTagValueLength = 8000;

    [GeneratedRegex(@"^[A-Za-z0-9_\-. /]+$")]
    private static partial Regex AllowedCharacters();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    private static partial Regex RunIdPattern();

    /// <summary>Throws when <paramref name="key"/> is not a valid metric, param or tag key.</summary>
    /// <exception cref="ArgumentException">The message names the key and the rule it breaks.</exception>
    public static void Validate(string key, string kind)
    {
        string? problem = string.IsNullOrEmpty(key) ? "it is empty"
            : key.Length > MaxKeyLength ? $"it is longer than {MaxKeyLength} characters"
            : !AllowedCharacters().IsMatch(key) ? "only letters, digits, '_', '-', '.', ' ' and '/' are allowed"
            : key == "." || key.StartsWith("..", StringComparison.Ordinal) || key.StartsWith('/') ? "it may not be '.' or start with '..' or '/'"
            : key.Contains("//") || key.Contains("/./") || key.EndsWith('/') || key.EndsWith("/.") || key.Contains("/../") || key.EndsWith("/..") ? "it is not a normalised path"
            : null;
        if (problem is not null) throw new ArgumentException($"Invalid {kind} key '{key}': {problem}.");
    }

    /// <summary>Whether <paramref name="runId"/> has MLflow's run-id shape.</summary>
    public static bool IsRunId(string runId) => RunIdPattern().IsMatch(runId);
}
