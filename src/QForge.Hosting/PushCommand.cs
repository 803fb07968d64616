using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QForge.Tracking;

namespace QForge.Hosting;

/// <summary>
/// Sends local MLflow runs (made offline, or spooled while the server was down) to the tracking server named by
/// MLFLOW_TRACKING_URI. Idempotent: a run pushed before is found again, and only what the server lacks is sent.
/// </summary>
internal static class PushCommand
{
    public static async Task<int> RunAsync(QForgeHost.CommandContext context, IReadOnlyList<string> tokens, string? store, string? run)
    {
        var (_, overrides) = QForgeHost.ParseOverrides(tokens);
        using var host = QForgeHost.BuildHost(context, overrides);
        var configuration = host.Services.GetRequiredService<IConfiguration>();
        string? uri = configuration[TrackingUri.TrackingUriVariable];
        if (uri is null || !(uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            throw new UsageException($"push sends runs to a tracking server: set {TrackingUri.TrackingUriVariable} to its http:// or https:// address.");
        string root = Path.GetFullPath(store ?? TrackingUri.DefaultFileStoreRoot);
        if (!Directory.Exists(root)) throw new UsageException($"No MLflow file store at {root}; give one with --store.");

        var runs = Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "meta.yaml")))
            .SelectMany(Directory.GetDirectories)
            .Where(d => File.Exists(Path.Combine(d, "meta.yaml")) && (run is null || Path.GetFileName(d) == run))
            // Parents first, so children's mlflow.parentRunId can point at their pushed parents.
            .OrderBy(d => File.Exists(Path.Combine(d, "tags", "mlflow.parentRunId")))
            .ThenBy(d => d, StringComparer.Ordinal)
            .ToList();
        if (runs.Count == 0) throw new UsageException(run is null ? $"{root} holds no runs." : $"No run '{run}' in {root}.");

        using var server = (RestStore)TrackingUri.Open(uri, RestStoreOptions.FromEnvironment(key => configuration[key]));
        int failed = 0;
        foreach (string folder in runs)
        {
            try
            {
                var result = await server.PushAsync(folder);
                await context.Output.WriteLineAsync($"{Path.GetFileName(folder)} -> {result.RemoteRunId}: {(result.CreatedRemoteRun ? "created" : "already there")}, " +
                    $"{result.ParamsSent} params, {result.TagsSent} tags, {result.MetricsSent} metric values, {result.ArtifactsSent} artifacts sent");
            }
            catch (Exception e) when (e is TrackingException or InvalidOperationException or IOException or ArgumentException)
            {
                failed++;
                await context.Output.WriteLineAsync($"{Path.GetFileName(folder)}: not pushed: {e.Message}");
            }
        }
        await context.Output.WriteLineAsync($"pushed {runs.Count - failed} of {runs.Count} runs to {server.Location}");
        return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }
}
