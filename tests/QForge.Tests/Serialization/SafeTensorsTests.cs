using System.Buffers.Binary;
using System.Text;
using QForge.Serialization;
using QForge.Tabular;

namespace QForge.Tests.Serialization;

public class SafeTensorsTests
{
    private static byte[] Bytes(IReadOnlyList<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void Layout_is_the_safetensors_format()
    {
        byte[] bytes = Bytes([Tensor.Float32("w", [2, 2], [1f, 2f, 3f, 4f])], new Dictionary<string, string> { ["k"] = "v" });
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' ');
        Assert.Equal("""{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}""", header);
        Assert.Equal(8 + (int)headerLength + 16, bytes.Length);
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)headerLength + 8)));
    }

    [Fact]
    public void Several_tensors_round_trip()
    {
        byte[] bytes = Bytes([Tensor.Float32("a", [3], [1f, float.NaN, -0f]), Tensor.Int32("b", [1, 2], [5, -6]), Tensor.UInt8("c", [2], [1, 0])]);
        var (tensors, metadata) = SafeTensors.Parse(bytes);
        Assert.Empty(metadata);
        Assert.Equal(["a", "b", "c"], tensors.Select(t => t.Name));
        Assert.True(float.IsNaN(tensors[0].ToFloat32()[1]));
        Assert.True(float.IsNegative(tensors[0].ToFloat32()[2]));
        Assert.Equal([1, 2], tensors[1].Shape);
        Assert.Equal([5, -6], tensors[1].ToInt32());
        Assert.Equal([1, 0], tensors[2].ToUInt8());
        Assert.Throws<InvalidDataException>(() => tensors[1].ToFloat32());
    }

    [Fact]
    public void Views_write_the_arrays_as_they_are_when_written_without_copying_them()
    {
        float[] weights = [1f, 2f, 3f, 4f];
        bool[] flags = [true, false, true];
        var view = Tensor.View("w", TensorType.F32, [3], weights, 3);
        weights[2] = -7f; // a view reads the array when the file is written
        var (tensors, _) = SafeTensors.Parse(Bytes([view, Tensor.View("f", TensorType.U8, [3], flags, 3)]));
        Assert.Equal([1f, 2f, -7f], tensors[0].ToFloat32());
        Assert.Equal([1, 0, 1], tensors[1].ToUInt8()); // a bool is one byte, 0 or 1
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.View("w", TensorType.F32, [5], weights, 5));
        Assert.Contains("holds object references", Assert.Throws<ArgumentException>(() => Tensor.View("s", TensorType.U8, [1], new[] { ("a", 1) }, 1)).Message);
    }

    [Fact]
    public void Truncated_data_is_reported()
    {
        byte[] bytes = Bytes([Tensor.Float32("w", [4], [1f, 2f, 3f, 4f])]);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Too_short_and_oversized_headers_are_reported()
    {
        Assert.Contains("fewer than", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(new byte[3])).Message);
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(bytes)).Message);
    }

    [Fact]
    public void Garbage_header_and_other_dtypes_are_reported()
    {
        byte[] garbage = [8, 0, 0, 0, 0, 0, 0, 0, .. "not json"u8];
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(garbage)).Message);
        byte[] header = """{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"""u8.ToArray(); // F16 is valid safetensors but not read here
        byte[] f16 = [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0];
        Assert.Contains("F16", Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(f16)).Message);
    }

    [Fact]
    public void A_file_that_is_not_a_qtable_names_the_file_and_the_problem()
    {
        string path = Path.Combine(Path.GetTempPath(), $"qforge-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, [Tensor.Float32("weights", [2], [1f, 2f])]);
            var error = Assert.Throws<InvalidDataException>(() => QTableFile.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("qforge.qtable.v1", error.Message);

            File.WriteAllBytes(path, [1, 2, 3]);
            error = Assert.Throws<InvalidDataException>(() => QTableFile.Load(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Save_replaces_the_file_atomically_and_leaves_no_temporary()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"qforge-{Guid.NewGuid():N}");
        string path = Path.Combine(directory, "t.safetensors");
        try
        {
            SafeTensors.Save(path, [Tensor.Float32("a", [1], [1f])]);
            SafeTensors.Save(path, [Tensor.Float32("a", [1], [2f])]);
            Assert.Equal([2f], SafeTensors.Load(path).Tensors[0].ToFloat32());
            Assert.Equal(["t.safetensors"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
