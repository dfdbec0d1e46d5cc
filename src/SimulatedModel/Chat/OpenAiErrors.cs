namespace Orchestrator.SimulatedModel.Chat;

/// <summary>OpenAI-like error bodies for the statuses a script or a random fault asks for.</summary>
static class OpenAiErrors
{
    // Built once: scripted and random faults are on the benchmark's hot path.
    static readonly ApiError[] ByStatus = BuildTable();

    public static ApiError ForStatus(int statusCode) =>
        statusCode is >= 400 and <= 599 ? ByStatus[statusCode - 400] : Create(statusCode);

    public static ApiError RateLimited(int retryAfterSeconds) => new(
        429,
        $"Rate limit reached for requests (simulated). Please try again in {retryAfterSeconds}s.",
        "requests",
        null,
        "rate_limit_exceeded");

    static ApiError[] BuildTable()
    {
        var table = new ApiError[200];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = Create(400 + i);
        }

        return table;
    }

    static ApiError Create(int statusCode) => statusCode switch
    {
        400 => new(400, "Simulated bad request.", ApiError.InvalidRequestType, null, null),
        401 => new(401, "Incorrect API key provided (simulated).", ApiError.InvalidRequestType, null, "invalid_api_key"),
        403 => new(403, "You are not allowed to sample from this model (simulated).", ApiError.InvalidRequestType, null, "permission_denied"),
        404 => new(404, "The model does not exist or you do not have access to it (simulated).", ApiError.InvalidRequestType, "model", "model_not_found"),
        408 => new(408, "The request timed out (simulated).", "timeout_error", null, "timeout"),
        422 => new(422, "The request could not be processed (simulated).", ApiError.InvalidRequestType, null, "unprocessable_entity"),
        429 => RateLimited(1),
        500 => new(500, "The server had an error while processing your request (simulated).", "server_error", null, null),
        502 => new(502, "Bad gateway (simulated).", "server_error", null, null),
        503 => new(503, "The engine is currently overloaded, please try again later (simulated).", "server_error", null, null),
        504 => new(504, "The upstream model timed out (simulated).", "server_error", null, "timeout"),
        < 500 => new(statusCode, $"Simulated {statusCode} error.", ApiError.InvalidRequestType, null, null),
        _ => new(statusCode, $"Simulated {statusCode} error.", "server_error", null, null),
    };
}
