using Orchestrator.Workers.ModelClient;

namespace Orchestrator.Workers.Resilience;

/// <summary>Which call outcomes count against an endpoint's breaker.</summary>
public static class UpstreamFault
{
    /// <summary>
    /// True when the endpoint itself is in trouble: 5xx, 429 (overloaded), 408, a timeout of any stage, a refused or
    /// dropped connection, a malformed answer. False for an answer, and for a 4xx about the request or its credentials:
    /// the endpoint answered, and opening its breaker would hide it from requests it can serve.
    /// </summary>
    public static bool Is(ModelCallResult result)
    {
        if (result.Succeeded)
            return false;
        if (result.HttpStatus is { } status and >= 400)
            return status >= 500 || status is 429 or 408;
        return result.Cause is "timeout" or "connect" or "reset" or "malformed" or "error";
    }
}
