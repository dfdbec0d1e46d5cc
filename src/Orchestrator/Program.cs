using Orchestrator.Cli;

// A command (migrate, requests, demo, ...) goes through the command line parser; anything else runs the server.
return await new OrchestratorCommand().RunAsync(args);
