using System.Text.Json.Serialization;

namespace Orchestrator.SimulatedModel.Wire;

/// <summary>
/// Source-generated serialisation of the OpenAI wire format (snake_case, nulls written as the protocol shows them),
/// so the hot path needs no reflection.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ModelList))]
sealed partial class OpenAiJsonContext : JsonSerializerContext
{
}
