using System.Net;
using System.Text.Json;
using Orchestrator.SimulatedModel.Chat;
using Orchestrator.SimulatedModel.Wire;

namespace Orchestrator.SimulatedModel.Admin;

/// <summary>
/// <c>/admin/fault</c>: switch an outage on (<c>PUT</c> <c>{"step":"slow:8000","seconds":10}</c>), look at it
/// (<c>GET</c>) or end it (<c>DELETE</c>). Answers callers on the loopback interface only (403 otherwise): it is a
/// test control, not part of the OpenAI surface.
/// </summary>
static class FaultOverrideEndpoints
{
    public static void MapFaultOverride(this IEndpointRouteBuilder endpoints, FaultOverride outage)
    {
        endpoints.MapGet("/admin/fault", context =>
        {
            if (RefusedRemote(context))
            {
                return Task.CompletedTask;
            }

            (var step, var until) = outage.Describe();
            return context.Response.WriteAsJsonAsync(new FaultOverrideStatus(step, until), StatsJsonContext.Default.FaultOverrideStatus);
        });
        endpoints.MapPut("/admin/fault", async context =>
        {
            if (RefusedRemote(context))
            {
                return;
            }

            FaultOverrideRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync(context.Request.Body, StatsJsonContext.Default.FaultOverrideRequest, context.RequestAborted);
            }
            catch (JsonException exception)
            {
                await BadRequestAsync(context, $"The body must be {{\"step\": \"503\", \"seconds\": 10}}: {exception.Message}");
                return;
            }

            if (body?.Step is not { Length: > 0 } step || body.Seconds is not { } seconds || !double.IsFinite(seconds))
            {
                await BadRequestAsync(context, "The body must name a step and its seconds, e.g. {\"step\": \"503\", \"seconds\": 10}.");
                return;
            }

            if (!outage.TrySet(step, TimeSpan.FromSeconds(Math.Min(seconds, 86_400)), out var error))
            {
                await BadRequestAsync(context, error!);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        endpoints.MapDelete("/admin/fault", context =>
        {
            if (RefusedRemote(context))
            {
                return Task.CompletedTask;
            }

            outage.Clear();
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
    }

    static bool RefusedRemote(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address))
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return true;
    }

    static Task BadRequestAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(
            new ErrorResponse(new ErrorBody(message, ApiError.InvalidRequestType, "step", null)),
            OpenAiJsonContext.Default.ErrorResponse);
    }
}
