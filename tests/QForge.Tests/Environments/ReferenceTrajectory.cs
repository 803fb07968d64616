using System.Globalization;

namespace QForge.Tests.Environments;

/// <summary>One row of a Gymnasium reference trajectory (shared/reference/trajectories).</summary>
internal sealed record TrajectoryRow(int Action, double Reward, bool Terminated, bool Truncated, double[] State, uint[] ObservationBits);

/// <summary>Reads the reference trajectories: the exact float64 state from its hex column and the float32 observation from its bits.</summary>
internal static class ReferenceTrajectory
{
    /// <summary>shared/reference/trajectories beside the repository (where CI puts shared/), or QFORGE_REFERENCE_DIR.</summary>
    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("QFORGE_REFERENCE_DIR") is { Length: > 0 } configured) return configured;
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "QForge.sln"))) directory = Path.GetDirectoryName(directory);
        if (directory is null) throw new DirectoryNotFoundException("QForge.sln not found above the test assembly.");
        string trajectories = Path.GetFullPath(Path.Combine(directory, "..", "shared", "reference", "trajectories"));
        return System.IO.Directory.Exists(trajectories) ? trajectories
            : throw new DirectoryNotFoundException($"The reference trajectories are expected in {trajectories} (shared/ beside the repository) or in QFORGE_REFERENCE_DIR.");
    }

    /// <summary>The reset row and the steps up to and including the first termination.</summary>
    public static (double[] Start, List<TrajectoryRow> Steps) Load(string file)
    {
        var rows = File.ReadAllLines(Path.Combine(Directory(), file)).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        double[] start = HexColumn(rows[0]);
        var steps = new List<TrajectoryRow>();
        foreach (string line in rows.Skip(1))
        {
            string[] head = line.Split('|')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var row = new TrajectoryRow(int.Parse(head[1], CultureInfo.InvariantCulture), double.Parse(head[2], CultureInfo.InvariantCulture),
                head[3] == "True", head[4] == "True", HexColumn(line), line.Split('|')[4].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                    .Select(b => uint.Parse(b[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray());
            steps.Add(row);
            if (row.Terminated) break;
        }
        return (start, steps);
    }

    private static double[] HexColumn(string line) =>
        line.Split('|')[3].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParseHexFloat).ToArray();

    /// <summary>Parses C99 / Python float.hex() notation, e.g. -0x1.9090f63c0b010p-8, exactly.</summary>
    public static double ParseHexFloat(string text)
    {
        bool negative = text.StartsWith('-');
        string body = negative ? text[1..] : text;
        if (!body.StartsWith("0x", StringComparison.Ordinal)) throw new FormatException($"'{text}' is not a hex float.");
        int p = body.IndexOf('p');
        string mantissa = body[2..p];
        int exponent = int.Parse(body[(p + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int fractionDigits = dot < 0 ? 0 : mantissa.Length - dot - 1;
        ulong value = ulong.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        double result = Math.ScaleB(value, exponent - 4 * fractionDigits);
        return negative ? -result : result;
    }
}
