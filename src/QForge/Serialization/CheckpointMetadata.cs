using System.Globalization;
using System.Text.Json;

namespace QForge.Serialization;

/// <summary>
/// The metadata every QForge checkpoint carries (format, environment, generator state, settings) and the checks made
/// when resuming from one, shared by the tabular and DQN trainers.
/// </summary>
public static class CheckpointMetadata
{
    /// <summary>The entries common to every checkpoint.</summary>
    public static Dictionary<string, string> Create(string format, string environment, RngState rng, IReadOnlyDictionary<string, string> parameters) => new()
    {
        ["format"] = format,
        ["environment"] = environment,
        ["rng"] = string.Join(' ', new[] { rng.S0, rng.S1, rng.S2, rng.S3 }.Select(w => w.ToString("x16", CultureInfo.InvariantCulture))),
        ["parameters"] = JsonSerializer.Serialize(parameters),
    };

    /// <summary>
    /// Checks the format and environment and that <paramref name="parameters"/> equal the checkpoint's except the
    /// <paramref name="mayChange"/> ones; returns the generator state.
    /// </summary>
    /// <exception cref="InvalidDataException">The message names the file and what differs.</exception>
    public static RngState Verify(IReadOnlyDictionary<string, string> metadata, string path, string format, string environment,
        IReadOnlyDictionary<string, string> parameters, params string[] mayChange)
    {
        if (Get(metadata, "format", path) != format)
            throw new InvalidDataException($"'{path}' is not a {format} checkpoint: its format is '{metadata["format"]}'.");
        if (Get(metadata, "environment", path) != environment)
            throw new InvalidDataException($"'{path}' is a checkpoint of {metadata["environment"]}, not {environment}.");
        var saved = JsonSerializer.Deserialize<Dictionary<string, string>>(Get(metadata, "parameters", path)) ?? [];
        var differences = parameters.Where(p => !mayChange.Contains(p.Key) && (!saved.TryGetValue(p.Key, out var value) || value != p.Value))
            .Select(p => $"{p.Key} = {p.Value} (checkpoint: {saved.GetValueOrDefault(p.Key, "absent")})").ToList();
        if (differences.Count > 0)
            throw new InvalidDataException($"'{path}' was trained with other settings; resume with the same ones: {string.Join("; ", differences)}.");
        ulong[] words = Get(metadata, "rng", path).Split(' ').Select(w => ulong.Parse(w, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        return new RngState(words[0], words[1], words[2], words[3]);
    }

    /// <summary>A required metadata entry.</summary>
    /// <exception cref="InvalidDataException">It is missing.</exception>
    public static string Get(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"'{path}' is not a QForge checkpoint: metadata '{key}' is missing.");

    /// <summary>A required integer metadata entry.</summary>
    public static long GetInt64(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        long.TryParse(Get(metadata, key, path), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value
        : throw new InvalidDataException($"'{path}': metadata '{key}' = '{metadata[key]}' is not an integer.");

    /// <summary>A required tensor.</summary>
    public static Tensor Tensor(IReadOnlyList<Tensor> tensors, string name, string path) =>
        tensors.FirstOrDefault(t => t.Name == name) ?? throw new InvalidDataException($"'{path}' has no tensor '{name}'.");
}
