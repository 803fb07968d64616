namespace QForge.Generators.Tests;

/// <summary>User code the generator tests compile.</summary>
internal static class Sources
{
    public const string GridEnvironment = """
        using QForge;
        namespace Demo;

        public enum Move { Left, Down, Right, Up }

        public readonly partial record struct Cell([property: Discrete(16)] int Index);

        [Environment(MaxEpisodeSteps = 100, Name = "Grid-v0")]
        public partial struct Grid : IEnvironment<Cell, Move>
        {
            private int _position;
            public Cell Reset(ref Rng rng) { _position = 0; return new Cell(0); }
            public Step<Cell> Step(Move action, ref Rng rng)
            {
                _position = (_position + 1) % 16;
                return new Step<Cell>(new Cell(_position), 0, _position == 15);
            }
        }
        """;

    public const string MixedObservation = """
        using QForge;
        namespace Demo;

        public enum Depot { Red, Green, Yellow, Blue }
        public enum Action { North, South, Pickup }

        public readonly partial record struct Corner([Discrete(2)] int X, bool Flag);

        public readonly partial record struct Trip(
            [property: Discrete(5, Min = -2)] int Row,
            Depot Destination,
            bool Loaded,
            Corner Corner);

        [Environment(MaxEpisodeSteps = 200)]
        public partial struct Courier : IEnvironment<Trip, Action>
        {
            public Trip Reset(ref Rng rng) => default;
            public Step<Trip> Step(Action action, ref Rng rng) => new(default, -1, false);
        }
        """;

    public const string ContinuousObservation = """
        using QForge;
        namespace Demo;

        public partial struct Physics
        {
            public partial struct State
            {
                [Continuous(-2.4, 2.4)] public float Position;
                [Continuous(-0.21, 0.21)] public double Angle;
                [Continuous] public float Velocity;
                public bool Touching;
            }
        }

        [Environment(MaxEpisodeSteps = 500, ActionCount = 3)]
        public partial struct Balance : IEnvironment<Physics.State, int>
        {
            public Physics.State Reset(ref Rng rng) => default;
            public Step<Physics.State> Step(int action, ref Rng rng) => new(default, 1, false);
        }
        """;

    public const string Hyperparameters = """
        using QForge;
        using QForge.Tabular;
        namespace Demo;

        public enum Schedule { Fast, Slow }

        /// <summary>Settings for the demo.</summary>
        [Hyperparameters]
        public sealed partial record DemoTraining : QLearningSettings
        {
            /// <inheritdoc/>
            [Sweep(0.05, 0.1, 0.5)]
            public override double LearningRate { get; init; } = 0.1;

            /// <summary>Hidden units, a "quoted" word.</summary>
            [ValidRange(1, 4096), SweepRange(16, 256, Log = true, Steps = 3)]
            public int Hidden { get; init; } = 64;

            /// <summary>How fast.</summary>
            [Sweep(Schedule.Fast, Schedule.Slow)]
            public Schedule Pace { get; init; } = Schedule.Slow;

            /// <summary>A label.</summary>
            public string Label { get; init; } = "demo";

            /// <summary>Computed, so not a hyperparameter.</summary>
            public double Twice => LearningRate * 2;
        }
        """;

    public const string PlainClassHyperparameters = """
        using QForge;
        namespace Demo;

        [Hyperparameters]
        public partial class Knobs
        {
            /// <summary>A rate.</summary>
            [ValidRange(0, 1, MinExclusive = true)]
            public float Rate { get; set; } = 0.5f;

            /// <summary>Whether to log.</summary>
            public bool Verbose { get; set; }

            /// <summary>Steps.</summary>
            [SweepRange(10, 20, Steps = 3)]
            public long Steps { get; set; } = 10;
        }
        """;

    public const string Experiment = """
        using QForge;
        using QForge.Tabular;
        namespace Demo;

        [Hyperparameters]
        public sealed partial record GridTraining : QLearningSettings;

        /// <summary>Q-learning on the grid.</summary>
        [Experiment("grid")]
        public sealed partial class GridExperiment : QLearningExperiment<Grid, GridTraining>;
        """;
}
