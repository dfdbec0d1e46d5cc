namespace Orchestrator.SimulatedModel.Wire;

/// <summary>One model of the list.</summary>
sealed record ModelEntry(string Id, string Object, long Created, string OwnedBy);
