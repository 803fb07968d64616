return await QForge.Hosting.QForgeHost.RunAsync(args);
