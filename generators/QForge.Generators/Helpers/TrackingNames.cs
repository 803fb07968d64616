namespace QForge.Generators.Helpers;

/// <summary>Names of the tracked pipeline steps, for the incremental-caching tests.</summary>
internal static class TrackingNames
{
    public const string Environments = nameof(Environments);
    public const string Observations = nameof(Observations);
    public const string Hyperparameters = nameof(Hyperparameters);
    public const string Experiments = nameof(Experiments);
    public const string ExperimentCatalog = nameof(ExperimentCatalog);
}

/// <summary>Metadata names of QForge's types the generators look for.</summary>
internal static class KnownTypes
{
    public const string EnvironmentAttribute = "QForge.EnvironmentAttribute";
    public const string HyperparametersAttribute = "QForge.HyperparametersAttribute";
    public const string ExperimentAttribute = "QForge.ExperimentAttribute";
    public const string DiscreteAttribute = "QForge.DiscreteAttribute";
    public const string ContinuousAttribute = "QForge.ContinuousAttribute";
    public const string ValidRangeAttribute = "QForge.ValidRangeAttribute";
    public const string SweepAttribute = "QForge.SweepAttribute";
    public const string SweepRangeAttribute = "QForge.SweepRangeAttribute";
    public const string EnvironmentInterface = "QForge.IEnvironment`2";
    public const string QLearningExperiment = "QForge.Tabular.QLearningExperiment`2";
}
