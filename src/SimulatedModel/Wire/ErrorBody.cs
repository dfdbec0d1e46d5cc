namespace Orchestrator.SimulatedModel.Wire;

/// <summary>The OpenAI error object; <see cref="Param"/> and <see cref="Code"/> are written as null when absent.</summary>
sealed record ErrorBody(string Message, string Type, string? Param, string? Code);
