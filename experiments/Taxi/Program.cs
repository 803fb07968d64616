using QForge.Experiments.Taxi;
using QForge.Tabular;

var settings = new TaxiTraining();
var result = TabularRun.Execute(settings, default(Taxi), qTablePath: "taxi.qtable.safetensors");
Console.WriteLine(result.Describe(Taxi.Name));
