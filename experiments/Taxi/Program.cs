return QForge.ExperimentConsole.Run(args);
