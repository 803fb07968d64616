using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QForge.Tracking;

/// <summary>
/// A set of a run's metric files in a file store, open for appending blocks of rows: each block becomes one write per
/// file, formatted straight into UTF-8 bytes, so the data is with the operating system (safe from a crash of this
/// process) block by block.
/// </summary>
/// <remarks>
/// The writer shares a 2-core machine with training, and what it spends there slows training (the cores are not
/// independent: a busy loop on one slows the other by ~7% on this project's VMs), so a line costs a few stores: the
/// block's timestamp, the value's text and the step's digits are each copied as one 32-byte vector; a value equal to
/// the one before (epsilon once its schedule ends, returns of 0 or 1) reuses its text; and a step one past the one
/// before is its digits incremented in place.
/// </remarks>
internal sealed class MetricFiles : IDisposable
{
    // Texts are held in 32-byte slots and copied whole; the bytes past a text's length are overwritten by the next part.
    private const int Slot = 32;
    // The longest line: 20 (timestamp) + 1 + 24 (value) + 1 + 20 (step) + 1, plus the slack of a whole slot copied last.
    private const int MaxLine = 67 + Slot;

    private readonly Key[] _keys;
    private byte[] _buffer = [];

    public MetricFiles(string[] paths) => _keys = paths.Select(path => new Key(path)).ToArray();

    /// <summary>Appends rows: row r holds one value per key at <paramref name="steps"/>[r], all at <paramref name="timestamp"/>.</summary>
    /// <remarks>Compiled optimised at once: a run writes a few blocks, too few for tiered compilation to leave its unoptimised first tier.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Append(ReadOnlySpan<long> steps, ReadOnlySpan<double> values, long timestamp)
    {
        int width = _keys.Length;
        if (values.Length < steps.Length * width) throw new ArgumentException($"{steps.Length} rows of {width} values need {steps.Length * width} values; {values.Length} were given.", nameof(values));
        if (_buffer.Length < steps.Length * MaxLine) _buffer = new byte[Math.Max(4096, steps.Length * MaxLine)];
        Span<byte> stamp = stackalloc byte[Slot];
        timestamp.TryFormat(stamp, out int stampLength, default, CultureInfo.InvariantCulture);
        stamp[stampLength++] = (byte)' ';
        var stampBytes = Vector256.Create<byte>(stamp);
        ref byte line = ref MemoryMarshal.GetArrayDataReference(_buffer);
        for (int k = 0; k < width; k++)
        {
            var key = _keys[k];
            int length = 0;
            for (int r = 0; r < steps.Length; r++)
            {
                ref byte at = ref Unsafe.Add(ref line, length);
                stampBytes.StoreUnsafe(ref at);
                int written = stampLength;
                written += key.Value(values[r * width + k]).Store(ref Unsafe.Add(ref at, written));
                Unsafe.Add(ref at, written++) = (byte)' ';
                written += key.Step(steps[r]).Store(ref Unsafe.Add(ref at, written));
                Unsafe.Add(ref at, written++) = (byte)'\n';
                length += written;
            }
            key.File.Write(_buffer, 0, length);
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys) key.Close();
    }

    /// <summary>A key's metric file (opened on its first block) and the text of its last value and last step.</summary>
    private sealed class Key(string path)
    {
        private FileStream? _file;
        private readonly byte[] _value = new byte[Slot];
        private readonly byte[] _step = new byte[Slot];
        private long _lastValueBits;
        private int _valueLength;
        private long _lastStep = -1;
        private int _stepLength;

        public FileStream File => _file ??= Open(path);

        public void Close()
        {
            _file?.Dispose();
            _file = null;
        }

        private static FileStream Open(string path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            return new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        }

        /// <summary>The text of <paramref name="value"/>: the last one's if it has the same bits (NaN repeats; 0 and -0 differ).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Text Value(double value)
        {
            long bits = BitConverter.DoubleToInt64Bits(value);
            if (bits != _lastValueBits || _valueLength == 0)
            {
                _valueLength = FileStore.FormatValue(value, _value);
                _lastValueBits = bits;
            }
            return new Text(_value, _valueLength);
        }

        /// <summary>The digits of <paramref name="step"/>: the last step's incremented in place when it is one more.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Text Step(long step)
        {
            if (step == _lastStep + 1 && _stepLength > 0 && step > 0) Increment();
            else step.TryFormat(_step, out _stepLength, default, CultureInfo.InvariantCulture);
            _lastStep = step;
            return new Text(_step, _stepLength);
        }

        private void Increment()
        {
            for (int i = _stepLength - 1; i >= 0; i--)
            {
                if (_step[i] != (byte)'9')
                {
                    _step[i]++;
                    return;
                }
                _step[i] = (byte)'0';
            }
            // 99...9 + 1: one digit more.
            _step.AsSpan(0, _stepLength).CopyTo(_step.AsSpan(1));
            _step[0] = (byte)'1';
            _stepLength++;
        }
    }

    /// <summary>A text in a 32-byte slot.</summary>
    private readonly ref struct Text(byte[] slot, int length)
    {
        private readonly byte[] _slot = slot;

        /// <summary>Copies the whole slot to <paramref name="destination"/> (which has room for it) and returns the text's length.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Store(ref byte destination)
        {
            Vector256.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_slot)).StoreUnsafe(ref destination);
            return length;
        }
    }
}
