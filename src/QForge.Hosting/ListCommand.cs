namespace QForge.Hosting;

/// <summary>Lists every registered experiment with its hyperparameters.</summary>
internal static class ListCommand
{
    public static async Task<int> RunAsync(QForgeHost.CommandContext context)
    {
        foreach (var experiment in ExperimentRegistry.All)
        {
            await context.Output.WriteLineAsync($"{experiment.Name}: {experiment.Algorithm} on {experiment.Environment}. {experiment.Description}");
            int width = experiment.Hyperparameters.Max(h => h.Name.Length + h.Type.Length) + 6;
            foreach (var h in experiment.Hyperparameters)
            {
                string head = $"  --{h.Name} <{h.Type}>".PadRight(width + 2);
                string range = h.Range is null ? "" : $", {h.Range}";
                string sweep = h.Sweep is null ? "" : $"; sweep {h.Sweep}";
                await context.Output.WriteLineAsync($"{head} default {h.Default}{range}{sweep}. {h.Description}");
            }
            await context.Output.WriteLineAsync();
        }
        return ExitCodes.Success;
    }
}
