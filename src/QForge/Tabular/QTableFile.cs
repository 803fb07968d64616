using QForge.Serialization;

namespace QForge.Tabular;

/// <summary>
/// Saves and loads a <see cref="QTable"/> as a safetensors file: one F32 tensor named <c>q</c> of shape
/// [states, actions], row-major, plus string metadata (<c>format</c> = <c>qforge.qtable.v1</c>, the environment, the
/// run's settings). <c>numpy</c> users read it with <c>safetensors.numpy.load_file(path)["q"]</c>.
/// </summary>
public static class QTableFile
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string Format = "qforge.qtable.v1";

    /// <summary>The name of the tensor holding the values.</summary>
    public const string TensorName = "q";

    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> atomically, with <paramref name="metadata"/>.</summary>
    public static void Save(QTable table, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var entries = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["format"] = Format,
        };
        SafeTensors.Save(path, [ToTensor(table)], entries);
    }

    /// <summary>Reads a table written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or not a QForge Q-table; the message names the file and the problem.</exception>
    public static (QTable Table, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Load(path);
        if (!metadata.TryGetValue("format", out string? format) || format != Format)
            throw new InvalidDataException($"'{path}' is not a QForge Q-table: its metadata 'format' is '{format ?? "(missing)"}', expected '{Format}'.");
        var tensor = tensors.FirstOrDefault(t => t.Name == TensorName)
            ?? throw new InvalidDataException($"'{path}' has no tensor named '{TensorName}'.");
        return (FromTensor(tensor, path), metadata);
    }

    /// <summary>The table as the <c>q</c> tensor, [states, actions] float32.</summary>
    public static Tensor ToTensor(QTable table) => Tensor.Float32(TensorName, [table.StateCount, table.ActionCount], table.ToArray());

    /// <summary>A table from a [states, actions] float32 tensor; <paramref name="source"/> names the file in errors.</summary>
    /// <exception cref="InvalidDataException">The tensor's type, shape or values are wrong.</exception>
    public static QTable FromTensor(Tensor tensor, string source)
    {
        if (tensor.Type != TensorType.F32 || tensor.Shape.Length != 2 || tensor.Shape[0] <= 0 || tensor.Shape[1] <= 0)
            throw new InvalidDataException($"'{source}': tensor '{tensor.Name}' is {tensor.Type} of shape [{string.Join(", ", tensor.Shape)}]; expected F32 [states, actions].");
        float[] values = tensor.ToFloat32();
        if (!values.All(float.IsFinite))
            throw new InvalidDataException($"'{source}': the Q-table holds non-finite values.");
        var table = new QTable(tensor.Shape[0], tensor.Shape[1]);
        table.CopyFrom(values);
        return table;
    }
}
