using System.Text.RegularExpressions;

namespace QForge.Tracking;

/// <summary>
/// MLflow's rules for keys, ids, names and value lengths. Every store checks them before writing, so that no key,
/// id or artifact path can write outside its run folder and no server silently cuts a value.
/// </summary>
public static partial class TrackingKeys
{
    /// <summary>The longest metric, param or tag key MLflow accepts.</summary>
    public const int MaxKeyLength = 250;

    /// <summary>The longest param value MLflow keeps (servers cut longer ones silently); QForge refuses longer ones.</summary>
    public const int MaxParamValueLength = 6000;

    /// <summary>The longest tag value MLflow keeps (servers cut longer ones silently); stores refuse longer ones.</summary>
    public const int MaxTagValueLength = 8000;

    /// <summary>The longest experiment name MLflow accepts.</summary>
    public const int MaxExperimentNameLength = 500;

    [GeneratedRegex(@"^[A-Za-z0-9_\-. /]+$")]
    private static partial Regex AllowedCharacters();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,255}$")]
    private static partial Regex RunIdPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][\w\-]{0,63}$")]
    private static partial Regex ExperimentIdPattern();

    /// <summary>Throws when <paramref name="key"/> is not a valid metric, param or tag key.</summary>
    /// <param name="key">The key to check.</param>
    /// <param name="kind">What the key names ("metric", "param" or "tag"), for the message.</param>
    /// <exception cref="ArgumentException">The message names the key and the rule it breaks.</exception>
    public static void Validate(string key, string kind)
    {
        string? problem = string.IsNullOrEmpty(key) ? "it is empty"
            : key.Length > MaxKeyLength ? $"it is longer than {MaxKeyLength} characters"
            : !AllowedCharacters().IsMatch(key) ? "only letters, digits, '_', '-', '.', ' ' and '/' are allowed"
            : key == "." || key.StartsWith("..", StringComparison.Ordinal) || key.StartsWith('/') ? "it may not be '.' or start with '..' or '/'"
            : !IsNormalisedPath(key) ? "it is not a normalised path (no empty, '.' or '..' parts, no trailing '/')"
            : null;
        if (problem is not null) throw new ArgumentException($"Invalid {kind} key '{key}': {problem}.", nameof(key));
    }

    /// <summary>Whether <paramref name="runId"/> has MLflow's run-id shape (<c>^[a-zA-Z0-9][\w\-]{0,255}$</c>).</summary>
    public static bool IsRunId(string runId) => RunIdPattern().IsMatch(runId);

    /// <summary>Whether <paramref name="experimentId"/> has MLflow's experiment-id shape (<c>^[a-zA-Z0-9][\w\-]{0,63}$</c>).</summary>
    public static bool IsExperimentId(string experimentId) => ExperimentIdPattern().IsMatch(experimentId);

    /// <summary>Throws unless <paramref name="name"/> is 1 to 500 characters with no control characters.</summary>
    internal static void ValidateExperimentName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > MaxExperimentNameLength)
            throw new ArgumentException($"Invalid experiment name '{name}': experiment names have 1 to {MaxExperimentNameLength} characters, this one has {name.Length}.", nameof(name));
        ValidateSingleLine(name, "experiment name");
    }

    /// <summary>Throws when a value stored on one line of a meta.yaml (run name, user) holds a control character.</summary>
    internal static void ValidateSingleLine(string value, string what)
    {
        if (value.Any(char.IsControl))
            throw new ArgumentException($"Invalid {what} '{value.ReplaceLineEndings(" ")}': control characters (new lines, tabs) are not allowed.");
    }

    /// <summary>Throws when a param value is longer than MLflow keeps.</summary>
    internal static void ValidateParamValue(string key, string value)
    {
        if (value.Length > MaxParamValueLength)
            throw new ArgumentException($"Param '{key}' has {value.Length} characters; MLflow keeps at most {MaxParamValueLength}, so QForge refuses it rather than let a server cut it.");
    }

    /// <summary>Throws when a tag value is longer than MLflow keeps.</summary>
    internal static void ValidateTagValue(string key, string value)
    {
        if (value.Length > MaxTagValueLength)
            throw new ArgumentException($"Tag '{key}' has {value.Length} characters; MLflow keeps at most {MaxTagValueLength}, so the store refuses it rather than let a server cut it.");
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> is a relative artifact path that stays inside the run's artifacts: parts
    /// separated by '/', none empty, '.' or '..', no '\' and no control characters.
    /// </summary>
    internal static void ValidateArtifactPath(string path)
    {
        string? problem = string.IsNullOrEmpty(path) ? "it is empty"
            : path.Length > 1000 ? "it is longer than 1000 characters"
            : path.Any(char.IsControl) || path.Contains('\\') || path.Contains(':') ? "'\\', ':' and control characters are not allowed"
            : path.StartsWith('/') ? "it must be relative (no leading '/')"
            : !IsNormalisedPath(path) ? "it is not a normalised path (no empty, '.' or '..' parts, no trailing '/')"
            : null;
        if (problem is not null) throw new ArgumentException($"Invalid artifact path '{path}': {problem}.", nameof(path));
    }

    private static bool IsNormalisedPath(string path)
    {
        foreach (var part in path.Split('/'))
            if (part is "" or "." or "..") return false;
        return true;
    }
}
