using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Tests.Cli;

/// <summary>A stand-in for the orchestrator's API: one canned answer to every call, and a record of each call.</summary>
public sealed class FakeApi : IAsyncDisposable
{
    public sealed record Call(string Method, string PathAndQuery, string Body, string? ApiKey)
    {
        public string? ContentType { get; init; }
        public string? IdempotencyKey { get; init; }
    }

    readonly WebApplication _app;

    FakeApi(WebApplication app) => _app = app;

    public List<Call> Calls { get; } = [];

    public string Url => _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();

    public static async Task<FakeApi> StartAsync(int status, string body)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var api = new FakeApi(app);
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var call = new Call(context.Request.Method, context.Request.Path + context.Request.QueryString, await reader.ReadToEndAsync(),
                context.Request.Headers["X-Api-Key"].SingleOrDefault())
            {
                ContentType = context.Request.ContentType,
                IdempotencyKey = context.Request.Headers["Idempotency-Key"].SingleOrDefault(),
            };
            lock (api.Calls)
                api.Calls.Add(call);
            context.Response.StatusCode = status;
            context.Response.ContentType = status < 400 ? "application/json" : "application/problem+json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
