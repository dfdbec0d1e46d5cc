using Orchestrator.Bench;

// Each verb prints one JSON object as its last stdout line; progress goes to stderr. Exit 2 for bad arguments,
// 1 for a run that failed (with the reason on stderr).
return await BenchCommand.RunAsync(args);
