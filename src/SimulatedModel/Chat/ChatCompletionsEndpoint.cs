using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Orchestrator.SimulatedModel.Admin;
using Orchestrator.SimulatedModel.Determinism;
using Orchestrator.SimulatedModel.Logging;
using Orchestrator.SimulatedModel.Scripting;
using Orchestrator.SimulatedModel.Wire;

namespace Orchestrator.SimulatedModel.Chat;

/// <summary>
/// <c>POST /v1/chat/completions</c>: validates the request, picks the step of this call (script, random fault or a
/// normal answer) and carries it out. Holds no lock: the only shared state is in <see cref="SimulatedModelStats"/>.
/// </summary>
sealed class ChatCompletionsEndpoint
{
    public const string RequestIdHeader = "X-Request-Id";

    // Sets a request's call key apart from any conversation key (the parser's tags are below 16).
    const byte RequestIdTag = 0x51;

    static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    readonly SimulatedModelOptions _options;
    readonly SimulatedModelStats _stats;
    readonly FaultPlan _faults;
    readonly FaultOverride _outage;
    readonly HashSet<string>? _models;
    readonly CancellationToken _stopping;
    readonly ILogger _logger;

    public ChatCompletionsEndpoint(
        SimulatedModelOptions options,
        SimulatedModelStats stats,
        FaultOverride outage,
        IHostApplicationLifetime lifetime,
        ILogger<ChatCompletionsEndpoint> logger)
    {
        _options = options;
        _stats = stats;
        _faults = new FaultPlan(options);
        _outage = outage;
        _models = options.Models.Count == 0 ? null : new HashSet<string>(options.Models, StringComparer.Ordinal);
        _stopping = lifetime.ApplicationStopping;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        string? requestId = context.Request.Headers[RequestIdHeader];
        _stats.RecordCall(requestId);

        (var request, var error) = await ReadRequestAsync(context);
        if (request is not null && error is null)
        {
            error = Check(request);
        }

        ScriptStep[]? steps = null;
        var promptText = string.Empty;
        if (request is not null && error is null && !ScriptParser.TryParse(request.LastUserText, out steps, out promptText, out var scriptError))
        {
            error = ApiError.InvalidRequest(scriptError, "messages", "invalid_sim_script");
        }

        if (request is null || error is not null)
        {
            error ??= ApiError.InvalidRequest("The request could not be read.", null);
            Log.RequestRejected(_logger, error.StatusCode, error.Message);
            await WriteErrorAsync(context, error);
            return;
        }

        var callKey = CallKey(request.ScriptKey, requestId);
        var callIndex = _stats.NextCallIndex(callKey);
        var step = ChooseStep(steps, callKey, callIndex);
        Log.StepChosen(_logger, callIndex, callKey, step, steps is not null);

        switch (step.Kind)
        {
            case StepKind.Ok:
                await AnswerAsync(context, request, promptText, lowConfidence: false, callKey, callIndex, NormalLatencyMs(callKey, callIndex));
                break;
            case StepKind.LowConfidence:
                await AnswerAsync(context, request, promptText, lowConfidence: true, callKey, callIndex, NormalLatencyMs(callKey, callIndex));
                break;
            case StepKind.Exhausted:
                // What a provider sends with the answer that spent the key's quota: nothing left until the reset.
                var resetIn = step.Value.ToString(CultureInfo.InvariantCulture) + "s";
                context.Response.Headers["x-ratelimit-remaining-requests"] = "0";
                context.Response.Headers["x-ratelimit-remaining-tokens"] = "0";
                context.Response.Headers["x-ratelimit-reset-requests"] = resetIn;
                context.Response.Headers["x-ratelimit-reset-tokens"] = resetIn;
                await AnswerAsync(context, request, promptText, lowConfidence: false, callKey, callIndex, NormalLatencyMs(callKey, callIndex));
                break;
            case StepKind.Slow:
                await AnswerAsync(context, request, promptText, lowConfidence: false, callKey, callIndex, step.Value);
                break;
            case StepKind.Status:
                await WriteErrorAsync(context, OpenAiErrors.ForStatus(step.Value));
                break;
            case StepKind.RateLimited:
                // A bare "429" means 1 s in a script (predictable for tests) and the configured value for random faults.
                var retryAfter = step.Value >= 0 ? step.Value : steps is not null ? 1 : _options.RetryAfterSeconds;
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, OpenAiErrors.RateLimited(retryAfter));
                break;
            case StepKind.Reset:
                context.Abort();
                break;
            case StepKind.Timeout:
                await HoldAsync(context, callKey, callIndex);
                break;
            default:
                throw new InvalidOperationException($"Unknown step kind {step.Kind}.");
        }
    }

    /// <summary>
    /// What a script (and the random fault draw) counts calls by: one request, as the worker names it in
    /// <c>X-Request-Id</c> on every attempt, so 50 requests with the same text each get the whole script; a call without
    /// the header falls back to its conversation. The conversation stays in the key, so an id reused for another
    /// conversation starts its script over.
    /// </summary>
    static ulong CallKey(ulong conversationKey, string? requestId)
    {
        if (string.IsNullOrEmpty(requestId))
        {
            return conversationKey;
        }

        var hash = default(StableHash);
        hash.AddTag(RequestIdTag);
        hash.Add((long)conversationKey);
        hash.Add(requestId);
        return hash.Finish();
    }

    static async Task<(ChatRequest? Request, ApiError? Error)> ReadRequestAsync(HttpContext context)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, DocumentOptions, context.RequestAborted);
            return ChatRequestParser.TryParse(document.RootElement, out var request, out var error)
                ? (request, null)
                : (null, error);
        }
        catch (JsonException exception)
        {
            return (null, ApiError.InvalidRequest($"We could not parse the JSON body of your request: {exception.Message}", null));
        }
    }

    ApiError? Check(ChatRequest request)
    {
        if (request.Stream)
        {
            return ApiError.InvalidRequest("streaming is not supported by the simulated model", "stream");
        }

        if (_models is not null && !_models.Contains(request.Model))
        {
            return new ApiError(
                404,
                $"The model `{request.Model}` does not exist or you do not have access to it.",
                ApiError.InvalidRequestType,
                "model",
                "model_not_found");
        }

        return null;
    }

    ScriptStep ChooseStep(ScriptStep[]? steps, ulong scriptKey, long callIndex)
    {
        // An outage switched on at run time hits every call, as a real one would.
        if (_outage.Current is { } outage)
        {
            return outage;
        }

        // Scripted requests never get random faults: after the last step they simply answer.
        if (steps is not null)
        {
            return callIndex < steps.Length ? steps[callIndex] : ScriptStep.Ok;
        }

        return _faults.IsFault(DeterministicDraw.Unit(_options.Seed, scriptKey, callIndex, DeterministicDraw.FaultDecision))
            ? _faults.Pick(DeterministicDraw.Unit(_options.Seed, scriptKey, callIndex, DeterministicDraw.FaultPick))
            : ScriptStep.Ok;
    }

    int NormalLatencyMs(ulong scriptKey, long callIndex)
    {
        if (_options.LatencyJitterMs <= 0)
        {
            return _options.LatencyMs;
        }

        var draw = DeterministicDraw.Unit(_options.Seed, scriptKey, callIndex, DeterministicDraw.Jitter);
        return _options.LatencyMs + (int)(draw * (_options.LatencyJitterMs + 1));
    }

    async Task AnswerAsync(HttpContext context, ChatRequest request, string promptText, bool lowConfidence, ulong callKey, long callIndex, int delayMs)
    {
        if (delayMs > 0)
        {
            try
            {
                // A timer may fire a millisecond or two early by a fine clock: a "slow:400" step answers after 400 ms
                // or more, never 398, so the remainder is waited for.
                var started = Stopwatch.GetTimestamp();
                for (var left = delayMs; left > 0; left = delayMs - (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds)
                {
                    await Task.Delay(left, context.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                Log.ClientLeft(_logger, callIndex, callKey);
                return;
            }
        }

        var response = AnswerBuilder.Build(request, promptText, lowConfidence, _options.Seed, callIndex);
        await context.Response.WriteAsJsonAsync(response, OpenAiJsonContext.Default.ChatCompletionResponse);
    }

    async Task HoldAsync(HttpContext context, ulong scriptKey, long callIndex)
    {
        // Also ends on shutdown, so disposing a server does not wait for a held request.
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(_options.TimeoutHoldSeconds), hold.Token);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientLeft(_logger, callIndex, scriptKey);
            return;
        }
        catch (OperationCanceledException)
        {
            // The server is stopping: fall through and drop the connection.
        }

        Log.HoldEnded(_logger, _stopping.IsCancellationRequested);
        context.Abort();
    }

    static Task WriteErrorAsync(HttpContext context, ApiError error)
    {
        context.Response.StatusCode = error.StatusCode;
        return context.Response.WriteAsJsonAsync(
            new ErrorResponse(new ErrorBody(error.Message, error.Type, error.Param, error.Code)),
            OpenAiJsonContext.Default.ErrorResponse);
    }
}
