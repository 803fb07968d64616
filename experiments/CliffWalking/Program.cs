using QForge.Experiments.CliffWalking;
using QForge.Tabular;

var settings = new CliffTraining();
var result = TabularRun.Execute(settings, default(CliffWalking), qTablePath: "cliffwalking.qtable.safetensors");
Console.WriteLine(result.Describe(CliffWalking.Name));
