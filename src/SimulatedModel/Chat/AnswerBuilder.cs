using System.Text;
using Orchestrator.SimulatedModel.Determinism;
using Orchestrator.SimulatedModel.Wire;

namespace Orchestrator.SimulatedModel.Chat;

/// <summary>
/// Builds the deterministic normal answer: an echo of the last user message, one token per word, with logprobs that
/// show high confidence (geometric mean of the probabilities in [0.9, 0.99]) or, for <c>lowconf</c>, about 0.3.
/// </summary>
static class AnswerBuilder
{
    public const string Prefix = "Simulated answer to: ";
    const int EchoLength = 80;
    static readonly TopLogprob[] NoTopLogprobs = [];

    public static ChatCompletionResponse Build(ChatRequest request, string promptText, bool lowConfidence, int seed, long callIndex)
    {
        var words = SplitWords(Prefix + Echo(promptText));
        var finishReason = "stop";

        if (request.Stop is { } stops)
        {
            var full = string.Join(' ', words);
            var cut = -1;
            foreach (var stop in stops)
            {
                var at = stop.Length == 0 ? -1 : full.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut))
                {
                    cut = at;
                }
            }

            if (cut >= 0)
            {
                words = SplitWords(full[..cut]);
            }
        }

        if (request.MaxTokens is int maxTokens && words.Count > maxTokens)
        {
            words.RemoveRange(maxTokens, words.Count - maxTokens);
            finishReason = "length";
        }

        var logprobs = request.Logprobs
            ? new ChoiceLogprobs(BuildLogprobs(words, request, lowConfidence, seed))
            : null;

        var id = "chatcmpl-sim" + DeterministicDraw.Bits(seed, request.ScriptKey, callIndex, DeterministicDraw.CompletionId).ToString("x16");
        return new ChatCompletionResponse(
            id,
            "chat.completion",
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            request.Model,
            [new ChatChoice(0, new AssistantMessage("assistant", string.Join(' ', words)), logprobs, finishReason)],
            new ChatUsage(request.PromptTokens, words.Count, request.PromptTokens + words.Count));
    }

    /// <summary>The first 80 characters of the prompt, not splitting a surrogate pair.</summary>
    static string Echo(string text)
    {
        if (text.Length <= EchoLength)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[EchoLength - 1]) ? EchoLength - 1 : EchoLength;
        return text[..length];
    }

    static List<string> SplitWords(string text) =>
        [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];

    static TokenLogprob[] BuildLogprobs(List<string> words, ChatRequest request, bool lowConfidence, int seed)
    {
        var entries = new TokenLogprob[words.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            // Tokens carry their leading space, as real tokenisers do, so they concatenate back to the content.
            var token = i == 0 ? words[i] : " " + words[i];

            // Call index 0: the same prompt always gets the same logprobs, whichever call it is.
            var draw = DeterministicDraw.Unit(seed, request.ScriptKey, 0, DeterministicDraw.TokenLogprob + (ulong)i);
            var probability = lowConfidence ? 0.25 + (0.1 * draw) : 0.9 + (0.09 * draw);
            entries[i] = new TokenLogprob(token, Math.Log(probability), Utf8(token), TopLogprobs(token, probability, request.TopLogprobs));
        }

        return entries;
    }

    /// <summary>The chosen token and made-up alternatives sharing the remaining probability, most likely first.</summary>
    static TopLogprob[] TopLogprobs(string token, double probability, int count)
    {
        if (count == 0)
        {
            return NoTopLogprobs;
        }

        var candidates = new TopLogprob[count];
        candidates[0] = new TopLogprob(token, Math.Log(probability), Utf8(token));
        var remaining = 1 - probability;
        for (var j = 1; j < count; j++)
        {
            var alternative = $"{token}_{j}";
            candidates[j] = new TopLogprob(alternative, Math.Log(remaining / (1 << j)), Utf8(alternative));
        }

        Array.Sort(candidates, static (a, b) => b.Logprob.CompareTo(a.Logprob));
        return candidates;
    }

    static int[] Utf8(string token)
    {
        var bytes = Encoding.UTF8.GetBytes(token);
        var values = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            values[i] = bytes[i];
        }

        return values;
    }
}
