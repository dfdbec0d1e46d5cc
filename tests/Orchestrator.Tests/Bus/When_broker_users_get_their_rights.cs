using System.Diagnostics;
using System.Text.RegularExpressions;
using Orchestrator.Tests.Docs;

namespace Orchestrator.Tests.Bus;

/// <summary>
/// The permission table of scripts/broker-roles.sh, read as RabbitMQ reads it (each regex against a whole resource
/// name): which role may declare, publish to or read which exchange and queue. The integration tests run the roles
/// against a real broker; this spec says the whole table in one place and fails fast when a name changes.
/// </summary>
public sealed class When_broker_users_get_their_rights
{
    static readonly Lazy<Dictionary<string, Dictionary<string, Regex>>> Table = new(Read);

    [Theory]
    [InlineData("orchestrator", "Orchestrator.Contracts:InferenceSucceeded")]
    [InlineData("orchestrator", "Orchestrator.Contracts:InferenceFailed")]
    [InlineData("orchestrator", "Orchestrator.Contracts:InferenceCancelled")]
    [InlineData("orchestrator", "Orchestrator.Contracts:BatchCompleted")]
    [InlineData("orchestrator", "Orchestrator.Contracts:InvokeModel")]
    [InlineData("orchestrator", "Orchestrator.Contracts:InferenceRequested")]
    [InlineData("orchestrator", "Orchestrator.Contracts:CancelInference")]
    [InlineData("orchestrator", "Orchestrator.StateMachines:RetryDue")]
    [InlineData("orchestrator", "Orchestrator.StateMachines:AttemptTimedOut")]
    [InlineData("orchestrator", "Orchestrator.StateMachines:DeadlineReached")]
    [InlineData("orchestrator", "inference-requests")]
    [InlineData("orchestrator", "inference-requests_error")]
    [InlineData("orchestrator", "invoke-model")]
    [InlineData("orchestrator", "MassTransit:Fault--Orchestrator.Contracts:AttemptSucceeded--")]
    [InlineData("worker", "Orchestrator.Contracts:AttemptStarted")]
    [InlineData("worker", "Orchestrator.Contracts:AttemptSucceeded")]
    [InlineData("worker", "Orchestrator.Contracts:AttemptFailed")]
    [InlineData("worker", "Orchestrator.Contracts:EndpointCoolingDown")]
    [InlineData("worker", "Orchestrator.Contracts:WorkerHeartbeat")]
    [InlineData("worker", "invoke-model_error")]
    [InlineData("worker", "worker-fleet-worker-2-0a1b2c3d")]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceRequested")]
    [InlineData("submitter", "Orchestrator.Contracts:CancelInference")]
    [InlineData("submitter", "Orchestrator.Contracts:RetryInference")]
    [InlineData("submitter", "Orchestrator.Contracts:PauseInference")]
    [InlineData("submitter", "Orchestrator.Contracts:ResumeInference")]
    [InlineData("submitter", "Orchestrator.Contracts:ApproveInference")]
    [InlineData("submitter", "Orchestrator.Contracts:RejectInference")]
    [InlineData("submitter", "billing-outcomes")]
    [InlineData("submitter", "MassTransit:Fault--Orchestrator.Contracts:InferenceSucceeded--")]
    public void Should_let_each_role_publish_what_it_sends(string role, string exchange) =>
        Assert.True(Allows(role, "write", exchange), $"{role} may not write {exchange}");

    [Theory]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceSucceeded")]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceFailed")]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceCancelled")]
    [InlineData("submitter", "Orchestrator.Contracts:AttemptSucceeded")]
    [InlineData("submitter", "Orchestrator.Contracts:InvokeModel")]
    [InlineData("submitter", "Orchestrator.StateMachines:RetryDue")]
    [InlineData("submitter", "inference-requests")]
    [InlineData("submitter", "invoke-model")]
    [InlineData("submitter", "amq.default")]
    [InlineData("submitter", "orchestrator-fleet-12-0a1b2c3d")]
    [InlineData("submitter", "MassTransit:Fault--Orchestrator.Contracts:InferenceRequested--")]
    [InlineData("worker", "Orchestrator.Contracts:InferenceSucceeded")]
    [InlineData("worker", "Orchestrator.Contracts:InferenceRequested")]
    [InlineData("worker", "Orchestrator.Contracts:InvokeModel")]
    [InlineData("worker", "Orchestrator.StateMachines:RetryDue")]
    [InlineData("worker", "inference-requests")]
    [InlineData("worker", "amq.default")]
    [InlineData("orchestrator", "Orchestrator.Contracts:AttemptSucceeded")]
    [InlineData("orchestrator", "Orchestrator.Contracts:WorkerHeartbeat")]
    [InlineData("orchestrator", "amq.default")]
    public void Should_refuse_each_role_what_others_send(string role, string exchange) =>
        Assert.False(Allows(role, "write", exchange), $"{role} may write {exchange}");

    [Theory]
    [InlineData("submitter", "inference-requests", false)]
    [InlineData("submitter", "invoke-model", false)]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceRequested", false)]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceSucceeded", true)]
    [InlineData("submitter", "Orchestrator.Contracts:BatchCompleted", true)]
    [InlineData("submitter", "amq.gen-Xb4bpTmu1K8xQ9w", true)]
    [InlineData("submitter", "billing_bus_y1oyyyfc7y8f8w7pbdq5ipn3x", true)]
    [InlineData("worker", "invoke-model", true)]
    [InlineData("worker", "inference-requests", false)]
    [InlineData("worker", "Orchestrator.Contracts:InvokeModel", true)]
    [InlineData("worker", "Orchestrator.Contracts:InferenceRequested", false)]
    [InlineData("worker", "Orchestrator.Contracts:InferenceCancelled", true)]
    [InlineData("worker", "Orchestrator.Contracts:InferenceSucceeded", false)]
    [InlineData("orchestrator", "inference-requests", true)]
    [InlineData("orchestrator", "invoke-model_skipped", true)]
    [InlineData("orchestrator", "worker-fleet-worker-2-0a1b2c3d", false)]
    public void Should_let_each_role_read_only_its_own_queues_and_sources(string role, string name, bool allowed) =>
        Assert.Equal(allowed, Allows(role, "read", name));

    [Theory]
    [InlineData("submitter", "inference-requests", false)]
    [InlineData("submitter", "Orchestrator.Contracts:InferenceSucceeded", true)]
    [InlineData("submitter", "Orchestrator.Contracts:AttemptSucceeded", false)]
    [InlineData("submitter", "amq.direct", false)]
    [InlineData("worker", "worker-fleet-worker-2-0a1b2c3d", true)]
    [InlineData("worker", "orchestrator-fleet-12-0a1b2c3d", false)]
    [InlineData("worker", "inference-requests", false)]
    [InlineData("orchestrator", "orchestrator-fleet-12-0a1b2c3d", true)]
    [InlineData("orchestrator", "Orchestrator.Contracts:WorkerHeartbeat", true)]
    public void Should_let_each_role_declare_only_what_it_uses(string role, string name, bool allowed) =>
        Assert.Equal(allowed, Allows(role, "configure", name));

    static bool Allows(string role, string permission, string name) => Table.Value[role][permission].IsMatch(name);

    /// <summary>Runs <c>broker-roles.sh table</c>: role, user, configure, write, read per line, tab-separated.</summary>
    static Dictionary<string, Dictionary<string, Regex>> Read()
    {
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryDocs.Root, "scripts", "broker-roles.sh"));
        start.ArgumentList.Add("table");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"broker-roles.sh table exited {process.ExitCode}: {process.StandardError.ReadToEnd()}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split('\t'))
            .ToDictionary(f => f[0], f => new Dictionary<string, Regex>
            {
                ["configure"] = new(f[2]),
                ["write"] = new(f[3]),
                ["read"] = new(f[4]),
            });
    }
}
