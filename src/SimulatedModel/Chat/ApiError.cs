namespace Orchestrator.SimulatedModel.Chat;

/// <summary>An error answer: its status and the fields of the OpenAI error body.</summary>
sealed record ApiError(int StatusCode, string Message, string Type, string? Param, string? Code)
{
    public const string InvalidRequestType = "invalid_request_error";

    public static ApiError InvalidRequest(string message, string? param, string? code = null) =>
        new(400, message, InvalidRequestType, param, code);
}
