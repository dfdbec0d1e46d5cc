using System.Text.Json.Serialization;

namespace Orchestrator.SimulatedModel.Wire;

/// <summary>Source-generated serialisation of the simulator's own endpoints (camelCase, unlike the OpenAI surface).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatsSnapshot))]
[JsonSerializable(typeof(RequestCallCount))]
[JsonSerializable(typeof(HealthStatus))]
[JsonSerializable(typeof(FaultOverrideRequest))]
[JsonSerializable(typeof(FaultOverrideStatus))]
sealed partial class StatsJsonContext : JsonSerializerContext
{
}
