using Orchestrator.Api.Access;
using Orchestrator.Hosting;

namespace Orchestrator.Tests.Access;

public sealed class ApiKeySpecs
{
    static ApiAccessOptions Keys(params (string Name, string Key, string Scopes)[] keys) => new()
    {
        Keys = [.. keys.Select(k => new ApiKeyEntry { Name = k.Name, Key = k.Key, Scopes = k.Scopes })],
    };

    [Fact]
    public void Should_find_each_key_with_its_own_scopes_and_nothing_for_an_unknown_key()
    {
        var (ring, problems) = ApiKeyRing.From(Keys(("svc", "submit-key-0123456789", "submit"), ("ops", "operate-key-0123456789", "operate, submit")));
        Assert.Empty(problems);
        var svc = ring!.Find("submit-key-0123456789");
        Assert.Equal("svc", svc?.Name);
        Assert.Equal(["submit"], svc!.Value.Scopes.Order());
        var ops = ring.Find("operate-key-0123456789");
        Assert.Equal("ops", ops?.Name);
        Assert.Equal(["operate", "submit"], ops!.Value.Scopes.Order());
        Assert.Null(ring.Find("operate-key-012345678"));   // a prefix
        Assert.Null(ring.Find("operate-key-01234567890")); // longer
        Assert.Null(ring.Find(""));
    }

    [Theory]
    [InlineData("", "a-key-long-enough-000", "submit", "Keys:0:Name is missing")]
    [InlineData("svc", "short", "submit", "Keys:0:Key must be at least 16 characters")]
    [InlineData("svc", "a-key-long-enough-000", "", "Keys:0:Scopes is missing")]
    [InlineData("svc", "a-key-long-enough-000", "submit,admin", "unknown scope 'admin'")]
    public void Should_refuse_a_bad_key_and_name_its_setting(string name, string key, string scopes, string expected)
    {
        var (ring, problems) = ApiKeyRing.From(Keys((name, key, scopes)));
        Assert.Null(ring);
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal) && p.StartsWith("Orchestrator:Api:", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_refuse_duplicate_names_and_secrets()
    {
        var (_, problems) = ApiKeyRing.From(Keys(("a", "same-secret-0123456789", "submit"), ("a", "same-secret-0123456789", "operate")));
        Assert.Contains(problems, p => p.Contains("Keys:1:Name 'a' is used by another key", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Keys:1:Key is the same as another key's", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_refuse_to_start_where_keys_are_required_but_none_is_configured()
    {
        var (ring, problems) = ApiKeyRing.From(new ApiAccessOptions());
        Assert.Empty(problems);
        var access = new ApiAccess(new ApiAccessOptions(), TransportKind.InMemory, ring!);

        var refused = Assert.Single(access.Decide(["http://0.0.0.0:5080"]));
        Assert.StartsWith("API keys are required but none is configured (required: the orchestrator listens beyond loopback (http://0.0.0.0:5080))",
            refused, StringComparison.Ordinal);
        Assert.Contains("RequireKeys=false", refused, StringComparison.Ordinal);
        Assert.Null(access.Decision);

        Assert.Empty(access.Decide(["http://127.0.0.1:5080"]));
        var decision = access.Decision!;
        Assert.Equal((false, "embedded mode listening on loopback only", true), (decision.KeysRequired, decision.Why, decision.LoopbackOnly));
        Assert.Equal(["http://127.0.0.1:5080"], decision.Addresses);
    }

    // The addresses as Kestrel reports them once bound: "localhost" stays a name, wildcards become [::] or 0.0.0.0.
    [Theory]
    [InlineData("InMemory", "http://127.0.0.1:5080", null, false, true)]
    [InlineData("InMemory", "http://localhost:5080;http://[::1]:5081", null, false, true)]
    [InlineData("InMemory", "http://0.0.0.0:5080", null, true, false)]
    [InlineData("InMemory", "http://[::]:5080", null, true, false)]
    [InlineData("InMemory", "http://*:5080", null, true, false)]
    [InlineData("InMemory", "http://127.0.0.1:5080;http://+:5081", null, true, false)]
    [InlineData("InMemory", "http://10.1.2.3:5080", null, true, false)]
    [InlineData("InMemory", "", null, true, false)]
    [InlineData("RabbitMQ", "http://127.0.0.1:5080", null, true, true)]
    [InlineData("RabbitMQ", "http://0.0.0.0:5080", false, false, false)]
    [InlineData("InMemory", "http://127.0.0.1:5080", true, true, true)]
    public void Should_require_keys_except_embedded_on_loopback_unless_configured(string transport, string addresses, bool? configured, bool required, bool loopbackOnly)
    {
        var bound = addresses.Split(';', StringSplitOptions.RemoveEmptyEntries);
        var (actual, why) = ApiAccess.KeysRequired(new ApiAccessOptions { RequireKeys = configured }, Enum.Parse<TransportKind>(transport), bound);
        Assert.Equal(required, actual);
        Assert.False(string.IsNullOrWhiteSpace(why));
        Assert.Equal(loopbackOnly, ApiAccess.LoopbackOnly(bound));
    }

    [Fact]
    public void Should_know_before_start_only_what_configuration_and_the_broker_say()
    {
        Assert.Null(ApiAccess.KeysRequiredBeforeStart(new ApiAccessOptions(), TransportKind.InMemory));
        Assert.Equal(true, ApiAccess.KeysRequiredBeforeStart(new ApiAccessOptions(), TransportKind.RabbitMQ)?.Required);
        Assert.Equal(false, ApiAccess.KeysRequiredBeforeStart(new ApiAccessOptions { RequireKeys = false }, TransportKind.RabbitMQ)?.Required);
    }
}
