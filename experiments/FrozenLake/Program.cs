using QForge.Experiments.FrozenLake;
using QForge.Tabular;

var settings = new LakeTraining();
var result = TabularRun.Execute(settings, new FrozenLake(isSlippery: true), qTablePath: "frozenlake.qtable.safetensors");
Console.WriteLine(result.Describe(FrozenLake.Name));
