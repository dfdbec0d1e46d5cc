using Orchestrator.Contracts;
using Orchestrator.Workers.Hosting;

namespace Orchestrator.Workers.Resilience;

/// <summary>
/// What a call is expected to cost against an endpoint's <see cref="EndpointOptions.TokensPerMinute"/>, before the
/// answer's <c>usage</c> tells: the prompt estimated from the messages, plus the most the answer may take
/// (<c>max_tokens</c>, else the endpoint's <see cref="EndpointOptions.DefaultMaxTokens"/>). The prompt rule is
/// deliberately simple and errs high for English text, since a short reservation lets the fleet overshoot: one token per
/// four characters of text (rounded up), <see cref="PerMessage"/> per message for the role and framing,
/// <see cref="PerImage"/> per image (<see cref="PerLowDetailImage"/> for <c>detail: low</c>), and
/// <see cref="PerReply"/> for the reply's priming. No tokenizer: the estimate must be cheap and the same for every
/// endpoint, and the answer's usage corrects it.
/// </summary>
public readonly record struct TokenEstimate(int Prompt, int Completion)
{
    /// <summary>Tokens counted per message for its role and framing, as OpenAI's own counting guide does.</summary>
    public const int PerMessage = 4;

    /// <summary>Tokens for the primed reply.</summary>
    public const int PerReply = 3;

    /// <summary>An image at high or automatic detail: a 1024×1024 image by OpenAI's tiling rule.</summary>
    public const int PerImage = 765;

    /// <summary>An image at <c>detail: low</c>.</summary>
    public const int PerLowDetailImage = 85;

    /// <summary>The prompt and the most the answer may take.</summary>
    public long Total => (long)Prompt + Completion;

    /// <summary>The estimate of <paramref name="invoke"/> on <paramref name="endpoint"/>.</summary>
    public static TokenEstimate For(InvokeModel invoke, EndpointOptions endpoint) =>
        new(PromptTokens(invoke.Messages), invoke.Parameters?.MaxTokens ?? endpoint.DefaultMaxTokens);

    /// <summary>Whether the request's estimate is within <paramref name="endpoint"/>'s token quota (or it has none).</summary>
    public static bool Fits(EndpointOptions endpoint, InvokeModel invoke) =>
        endpoint.TokensPerMinute is not { } quota || For(invoke, endpoint).Total <= quota;

    /// <summary>
    /// Why the request can never be sent: its estimate is above the <see cref="EndpointOptions.TokensPerMinute"/> of
    /// every endpoint of its model (the fleet's quota, not a worker's share: a call bigger than the share waits until it
    /// may go alone). Null when one endpoint could take it.
    /// </summary>
    public static string? NeverFits(IReadOnlyList<EndpointOptions> endpoints, InvokeModel invoke)
    {
        if (endpoints.Any(e => Fits(e, invoke)))
            return null;
        var each = endpoints.Select(e => (Endpoint: e, Estimate: For(invoke, e)))
            .Select(x => $"{x.Endpoint.DisplayName} allows {x.Endpoint.TokensPerMinute} tokens per minute, the request needs an estimated " +
                         $"{x.Estimate.Total} ({x.Estimate.Prompt} prompt + {x.Estimate.Completion} max_tokens)");
        return $"the request can never fit the token quota of model '{invoke.Model}': {string.Join("; ", each)}";
    }

    /// <summary>The prompt's estimated tokens (see the type's remarks for the rule).</summary>
    public static int PromptTokens(IReadOnlyList<ChatMessage> messages)
    {
        long tokens = PerReply;
        foreach (var message in messages)
        {
            tokens += PerMessage;
            foreach (var part in message.Content)
            {
                tokens += part.Type == ContentPart.ImageUrlType
                    ? string.Equals(part.Detail, "low", StringComparison.OrdinalIgnoreCase) ? PerLowDetailImage : PerImage
                    : ((long)(part.Text?.Length ?? 0) + 3) / 4;
            }
        }
        return (int)Math.Min(tokens, int.MaxValue);
    }
}
