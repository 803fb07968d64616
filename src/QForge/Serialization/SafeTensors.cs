using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace QForge.Serialization;

/// <summary>The element types QForge reads and writes, named as in safetensors.</summary>
public enum TensorType
{
    /// <summary>32-bit IEEE float.</summary>
    F32,

    /// <summary>32-bit signed integer.</summary>
    I32,

    /// <summary>Unsigned byte (also used for booleans).</summary>
    U8,
}

/// <summary>One tensor: its name, element type, shape and little-endian bytes in row-major order.</summary>
/// <remarks>
/// <see cref="Data"/> is either a copy (<see cref="Float32"/>, <see cref="Int32"/>, <see cref="UInt8"/>, a loaded file's
/// tensors) or a view of a live array (<see cref="View"/>: checkpoints are written without copying the network, the
/// optimiser and the replay buffer, whose copies, hundreds of kilobytes each, triggered full garbage collections).
/// </remarks>
public sealed record Tensor(string Name, TensorType Type, int[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>The size of one element in bytes.</summary>
    public int ElementSize => Type == TensorType.U8 ? 1 : 4;

    /// <summary>A float32 tensor.</summary>
    public static Tensor Float32(string name, int[] shape, ReadOnlySpan<float> values) => new(name, TensorType.F32, shape, ToBytes(values));

    /// <summary>An int32 tensor.</summary>
    public static Tensor Int32(string name, int[] shape, ReadOnlySpan<int> values) => new(name, TensorType.I32, shape, ToBytes(values));

    /// <summary>A byte tensor.</summary>
    public static Tensor UInt8(string name, int[] shape, ReadOnlySpan<byte> values) => new(name, TensorType.U8, shape, values.ToArray());

    /// <summary>
    /// A tensor over the bytes of the first <paramref name="count"/> elements of <paramref name="values"/>, not copied:
    /// write it before the array changes. Element type and shape are the caller's (a U8 tensor can hold any struct's bytes).
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> holds object references.</exception>
    public static Tensor View<T>(string name, TensorType type, int[] shape, T[] values, int count) where T : struct
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("QForge writes safetensors on little-endian machines only.");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, values.Length);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) throw new ArgumentException($"{typeof(T).Name} holds object references; its bytes mean nothing in a file.", nameof(values));
        return new(name, type, shape, new ArrayBytes<T>(values, count).Memory);
    }

    /// <summary>The values of a float32 tensor.</summary>
    public float[] ToFloat32() => Type == TensorType.F32 ? FromBytes<float>() : throw new InvalidDataException($"Tensor '{Name}' is {Type}, not F32.");

    /// <summary>The values of an int32 tensor.</summary>
    public int[] ToInt32() => Type == TensorType.I32 ? FromBytes<int>() : throw new InvalidDataException($"Tensor '{Name}' is {Type}, not I32.");

    /// <summary>The values of a byte tensor.</summary>
    public byte[] ToUInt8() => Type == TensorType.U8 ? Data.ToArray() : throw new InvalidDataException($"Tensor '{Name}' is {Type}, not U8.");

    private static byte[] ToBytes<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("QForge writes safetensors on little-endian machines only.");
        return MemoryMarshal.AsBytes(values).ToArray();
    }

    private T[] FromBytes<T>() where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("QForge reads safetensors on little-endian machines only.");
        return MemoryMarshal.Cast<byte, T>(Data.Span).ToArray();
    }

    /// <summary>The bytes of an array's first elements as <see cref="Memory{T}"/> of bytes, without a copy.</summary>
    private sealed class ArrayBytes<T>(T[] array, int count) : MemoryManager<byte> where T : struct
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(array.AsSpan(0, count));

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            return new MemoryHandle((byte*)handle.AddrOfPinnedObject() + elementIndex, handle);
        }

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}

/// <summary>
/// Reads and writes the safetensors format (the Hugging Face format PyTorch and NumPy users read with
/// <c>safetensors.numpy.load_file</c>): an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, optional string metadata under <c>__metadata__</c>, then the raw little-endian data.
/// QForge handles F32, I32 and U8 tensors, and writes files atomically (a temporary file renamed over the target).
/// </summary>
public static class SafeTensors
{
    private const long MaxHeaderBytes = 100_000_000;

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/>, replacing it atomically.</summary>
    public static void Save(string path, IReadOnlyList<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteAtomically(path, stream => Write(stream, tensors, metadata));

    /// <summary>
    /// Writes a file through <paramref name="write"/> so that a crash leaves either the previous file or the complete new
    /// one: a temporary file beside it, flushed to disk, then renamed over it.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        string fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        string temporary = fullPath + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, fullPath, overwrite: true);
    }

    /// <summary>Writes the safetensors bytes to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyList<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                long expected = tensor.Shape.Aggregate(1L, (product, dim) => product * dim) * tensor.ElementSize;
                if (expected != tensor.Data.Length)
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] but {tensor.Data.Length} bytes.");
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.Type.ToString());
                json.WriteStartArray("shape");
                foreach (int dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 bytes, as the reference implementation does, so data is aligned.
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var tensor in tensors)
            stream.Write(tensor.Data.Span);
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file of F32, I32 and U8 tensors; the message says what is wrong.</exception>
    public static (IReadOnlyList<Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid safetensors file: {e.Message}", e);
        }
    }

    /// <summary>Parses safetensors bytes.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed safetensors file of F32, I32 and U8 tensors.</exception>
    public static (IReadOnlyList<Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
            throw new InvalidDataException($"it has {bytes.Length} bytes, fewer than the 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > bytes.Length - 8)
            throw new InvalidDataException($"the header length {headerLength} exceeds the file ({bytes.Length} bytes).");
        ReadOnlySpan<byte> data = bytes[(8 + (int)headerLength)..];
        var tensors = new List<Tensor>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(bytes.Slice(8, (int)headerLength).ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("the header is not a JSON object.");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var entry in property.Value.EnumerateObject())
                        metadata[entry.Name] = entry.Value.GetString() ?? throw new InvalidDataException($"metadata '{entry.Name}' is not a string.");
                    continue;
                }
                tensors.Add(ReadTensor(property, data));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the header is not valid JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"the header has an unexpected shape ({e.Message}).", e);
        }
        return (tensors, metadata);
    }

    private static Tensor ReadTensor(JsonProperty property, ReadOnlySpan<byte> data)
    {
        var entry = property.Value;
        string dtype = entry.GetProperty("dtype").GetString() ?? "";
        if (!Enum.TryParse(dtype, ignoreCase: false, out TensorType type) || !Enum.IsDefined(type))
            throw new InvalidDataException($"tensor '{property.Name}' has dtype {dtype}; QForge reads F32, I32 and U8.");
        int elementSize = type == TensorType.U8 ? 1 : 4;
        int[] shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        long count = shape.Aggregate(1L, (product, dim) => dim < 0 ? throw new InvalidDataException($"tensor '{property.Name}' has a negative dimension.") : product * dim);
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
            throw new InvalidDataException($"tensor '{property.Name}' has data offsets [{string.Join(", ", offsets)}] outside the {data.Length} data bytes (the file may be truncated).");
        if (offsets[1] - offsets[0] != count * elementSize)
            throw new InvalidDataException($"tensor '{property.Name}' of shape [{string.Join(", ", shape)}] needs {count * elementSize} bytes but spans {offsets[1] - offsets[0]}.");
        return new Tensor(property.Name, type, shape, data[(int)offsets[0]..(int)offsets[1]].ToArray());
    }
}
