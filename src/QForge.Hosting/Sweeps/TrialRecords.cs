using System.Text;
using System.Text.Json;

namespace QForge.Hosting.Sweeps;

/// <summary>
/// A sweep's trial records: JSON lines in <c>trials/*.jsonl</c>, one file per runner, so processes sharing the folder
/// (shards on several machines) never write to the same file. Each record is one line appended with a single write
/// before the next trial starts. Appending costs ~20 us, where creating a file per trial cost ~350 us on this
/// project's ext4 virtual disk: a serial cost that showed as lost speed-up in parallel sweeps.
/// </summary>
/// <remarks>
/// Files are read incrementally (only bytes added since the last read are parsed), so TPE, which reads every record
/// before each proposal, stays linear in the number of trials. A last line without its newline is a write cut short
/// (the process died): it is left unread and that trial runs again. The first record of a trial index wins.
/// </remarks>
internal sealed class TrialRecords
{
    private readonly string _folder;
    private readonly string _ownFile;
    private readonly Dictionary<string, (long Offset, int Lines)> _consumed = [];
    private readonly SortedDictionary<int, TrialResult> _results = [];
    private readonly Lock _gate = new();

    /// <summary>Opens the records in <paramref name="folder"/> (created when missing).</summary>
    public TrialRecords(string folder)
    {
        _folder = Directory.CreateDirectory(folder).FullName;
        // Unique across machines sharing the folder and readable by a person looking at it.
        string machine = new([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        _ownFile = Path.Combine(_folder, $"{machine}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.jsonl");
    }

    /// <summary>Appends <paramref name="result"/> as one line of this runner's file.</summary>
    public void Append(TrialResult result)
    {
        byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(result, SweepJson.Default.TrialResult), (byte)'\n'];
        lock (_gate) File.AppendAllBytes(_ownFile, line);
    }

    /// <summary>Every trial recorded in the folder (by any process), by index.</summary>
    /// <exception cref="InvalidDataException">A complete line is not a trial record: the message names the file and line.</exception>
    public IReadOnlyList<TrialResult> Load()
    {
        lock (_gate)
        {
            foreach (string file in Directory.GetFiles(_folder, "*.jsonl").Order(StringComparer.Ordinal)) ReadNewLines(file);
            return [.. _results.Values];
        }
    }

    private void ReadNewLines(string file)
    {
        var (offset, lines) = _consumed.GetValueOrDefault(file);
        byte[] added;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (stream.Length <= offset) return;
            stream.Position = offset;
            added = new byte[stream.Length - offset];
            stream.ReadExactly(added);
        }
        int start = 0;
        for (int end; (end = Array.IndexOf(added, (byte)'\n', start)) >= 0; start = end + 1)
        {
            lines++;
            var bytes = added.AsSpan(start, end - start);
            if (bytes.Trim((byte)' ').IsEmpty) continue;
            TrialResult result;
            try
            {
                result = JsonSerializer.Deserialize(bytes, SweepJson.Default.TrialResult) ?? throw new JsonException("null record");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException(
                    $"Line {lines} of the trial records '{file}' is corrupt ({e.Message}): '{Shorten(Encoding.UTF8.GetString(bytes))}'; delete that line to run the trial again.", e);
            }
            _results.TryAdd(result.Index, result);
        }
        _consumed[file] = (offset + start, lines);
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
