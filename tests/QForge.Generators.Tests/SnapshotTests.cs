namespace QForge.Generators.Tests;

/// <summary>The generated code for every shape the generator supports, compared with committed snapshots; each compiles without warnings.</summary>
public class SnapshotTests
{
    [Fact]
    public void Discrete_environment_with_a_single_field_observation() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.GridEnvironment));

    [Fact]
    public void Observation_of_bounded_int_enum_bool_and_nested_fields() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.MixedObservation));

    [Fact]
    public void Continuous_observation_in_a_containing_type_with_int_actions() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.ContinuousObservation));

    [Fact]
    public void Hyperparameter_record_deriving_from_QLearningSettings() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.Hyperparameters));

    [Fact]
    public void Hyperparameter_class_with_settable_properties() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.PlainClassHyperparameters));

    [Fact]
    public void Experiment_with_its_registration() => SnapshotAssert.Matches(GeneratorHarness.Run(Sources.GridEnvironment, Sources.Experiment));
}
