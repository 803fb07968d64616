using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace QForge.Hosting.Tests;

/// <summary>
/// Starts a built experiment as a real process, from a private copy of its output folder (so a test can change its
/// appsettings.json) with a private working directory (so run folders do not mix).
/// </summary>
internal sealed class ExperimentProcess : IDisposable
{
    private static readonly string Root = Metadata("RepositoryRoot");
    private static readonly string Configuration = Metadata("Configuration");

    public ExperimentProcess(string experiment)
    {
        Experiment = experiment;
        Home = Directory.CreateTempSubdirectory($"qforge-{experiment}-").FullName;
        Binaries = Path.Combine(Home, "bin");
        WorkingDirectory = Path.Combine(Home, "work");
        Directory.CreateDirectory(WorkingDirectory);
        CopyDirectory(Path.Combine(Root, "experiments", experiment, "bin", Configuration, "net10.0"), Binaries);
    }

    public string Experiment { get; }
    public string Home { get; }
    public string Binaries { get; }
    public string WorkingDirectory { get; }
    public string RunsDirectory => Path.Combine(WorkingDirectory, ".qforge", "runs");

    public Process Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(Binaries, Experiment + ".dll"));
        foreach (string arg in args) info.ArgumentList.Add(arg);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Training__") || k.StartsWith("QForge__") || k == "DOTNET_ENVIRONMENT").ToList())
            info.Environment.Remove(key);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    /// <summary>Runs to completion (at most two minutes) and returns the exit code and everything printed.</summary>
    public (int ExitCode, string Output) Run(params string[] args) => Run(args, null);

    public (int ExitCode, string Output) Run(string[] args, IDictionary<string, string>? environment)
    {
        using var process = Start(args, environment);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Experiment} {string.Join(' ', args)} did not finish in two minutes:\n{output}");
        }
        process.WaitForExit();
        lock (output) return (process.ExitCode, output.ToString());
    }

    public void Dispose()
    {
        try { Directory.Delete(Home, recursive: true); }
        catch (IOException) { /* a killed child may still hold a file for a moment; the temp folder is cleaned by the OS */ }
    }

    private static string Metadata(string key) =>
        typeof(ExperimentProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    private static void CopyDirectory(string source, string destination)
    {
        if (!Directory.Exists(source)) throw new DirectoryNotFoundException($"Build the experiment first: {source} is missing.");
        foreach (string directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(directory.Replace(source, destination));
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(source, destination));
    }
}
