using System.Text.Json;
using Orchestrator.Api;
using Orchestrator.Contracts;
using Orchestrator.Retries;
using Orchestrator.StateMachines;
using Orchestrator.Submission;

namespace Orchestrator.Tests.Validation;

/// <summary>The request priority at the edges: what the gate accepts, how the API reads it, what the broker gets.</summary>
public sealed class PrioritySpecs
{
    static InferenceRequested Valid(int? priority) => new()
    {
        RequestId = "req-p",
        Model = "sim",
        Messages = [new ChatMessage { Role = "user", Content = [ContentPart.FromText("Hello")] }],
        Priority = priority,
    };

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Should_pass_every_priority_in_range_and_none(int? priority) =>
        Assert.Empty(InputGate.Check(Valid(priority), new ValidationOptions(), new RetryPolicyOptions()));

    [Fact]
    public void Should_refuse_an_out_of_range_priority_with_one_field_level_reason()
    {
        var error = Assert.Single(InputGate.Check(Valid(9), new ValidationOptions(), new RetryPolicyOptions()));
        Assert.Equal("priority", error.Field);
        Assert.Equal("priority: must be between 1 and 5 (got 9)", error.ToString());
    }

    [Fact]
    public void Should_read_priority_from_the_submit_body()
    {
        using var doc = JsonDocument.Parse("""{"model":"sim","messages":[{"role":"user","content":"x"}],"priority":5}""");
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, null);
        Assert.Empty(errors);
        Assert.Equal(5, request!.Priority);
    }

    [Fact]
    public void Should_leave_priority_unset_when_the_body_has_none()
    {
        using var doc = JsonDocument.Parse("""{"model":"sim","messages":[{"role":"user","content":"x"}]}""");
        Assert.Null(RequestReader.ReadSubmission(doc.RootElement, null).Request!.Priority);
    }

    [Theory]
    [InlineData("\"urgent\"")]
    [InlineData("2.5")]
    [InlineData("true")]
    public void Should_refuse_a_priority_that_is_not_an_integer(string value)
    {
        using var doc = JsonDocument.Parse($$"""{"model":"sim","messages":[{"role":"user","content":"x"}],"priority":{{value}}}""");
        var (request, errors) = RequestReader.ReadSubmission(doc.RootElement, null);
        Assert.Null(request);
        Assert.Contains(errors, e => e.Field == "priority" && e.Message.StartsWith("expected a whole number", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(null, 3, 3)]
    [InlineData(null, 4, 4)]
    [InlineData(5, 1, 5)]
    public void Should_store_the_submitted_priority_or_the_configured_default(int? submitted, int defaultPriority, int stored) =>
        Assert.Equal(stored, InferenceRequestState.Create(Valid(submitted), DateTime.UtcNow, defaultPriority).Priority);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 5)]
    [InlineData(0, 1)]
    [InlineData(42, 5)]
    public void Should_map_a_priority_to_a_broker_priority_within_the_queue_levels(int priority, byte broker) =>
        Assert.Equal(broker, InferenceRequestMessages.BrokerPriority(priority));

    [Fact]
    public void Should_filter_the_list_by_priority_and_refuse_one_out_of_range()
    {
        var errors = new List<FieldError>();
        var filter = RequestFilter.Parse(null, null, null, null, null, null, null, null, null, errors, priority: 5);
        Assert.Empty(errors);
        int[] priorities = [1, 5, 3, 5];
        var rows = priorities.Select((p, i) => new InferenceRequestState { RequestId = $"r{i}", Priority = p }).AsQueryable();
        Assert.Equal("r1 r3", string.Join(' ', filter.Apply(rows).Select(r => r.RequestId)));

        RequestFilter.Parse(null, null, null, null, null, null, null, null, null, errors, priority: 0);
        Assert.Equal("priority: must be between 1 and 5 (got 0)", Assert.Single(errors).ToString());
    }

    [Fact]
    public void Should_take_priority_in_a_bulk_filter()
    {
        var errors = new List<FieldError>();
        using var good = JsonDocument.Parse("""{"priority":1,"state":"Failed"}""");
        Assert.Equal(1, RequestFilter.FromJson(good.RootElement, errors).Priority);
        Assert.Empty(errors);
        using var bad = JsonDocument.Parse("""{"priority":"high"}""");
        RequestFilter.FromJson(bad.RootElement, errors);
        Assert.Equal("filter.priority: priority must be an integer", Assert.Single(errors).ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Should_name_the_setting_when_the_default_priority_is_out_of_range(int value) =>
        Assert.Equal($"Orchestrator:Validation:DefaultPriority must be between 1 and 5 (got {value})",
            new ValidationOptions { DefaultPriority = value }.Problem());
}
