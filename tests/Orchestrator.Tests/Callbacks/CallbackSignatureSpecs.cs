using System.Security.Cryptography;
using System.Text;
using Orchestrator.Callbacks;

namespace Orchestrator.Tests.Callbacks;

/// <summary>The Standard Webhooks signature, against the spec's published vector and an independent computation.</summary>
public sealed class CallbackSignatureSpecs
{
    // The test vector published with the Standard Webhooks spec and its reference libraries.
    const string VectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const string VectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const long VectorTimestamp = 1614265330;
    const string VectorBody = "{\"test\": 2432232314}";
    const string VectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    [Fact]
    public void When_the_spec_vector_is_signed_Should_give_the_published_signature()
    {
        var options = new CallbackOptions { SigningSecret = VectorSecret };
        Assert.Equal(VectorSignature, CallbackSignature.Sign(VectorId, VectorTimestamp, Encoding.UTF8.GetBytes(VectorBody), options.SigningKeys()));
    }

    [Fact]
    public void When_secrets_rotate_Should_sign_with_each_key_space_separated_the_current_first()
    {
        var current = "whsec_" + Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        var options = new CallbackOptions { SigningSecret = current, PreviousSigningSecrets = [VectorSecret] };
        var body = Encoding.UTF8.GetBytes("{\"type\":\"inference.succeeded\"}");

        var signatures = CallbackSignature.Sign("evt_1", 1700000000, body, options.SigningKeys()).Split(' ');

        Assert.Equal(2, signatures.Length);
        Assert.Equal(Reference(current, "evt_1", 1700000000, body), signatures[0]);
        Assert.Equal(Reference(VectorSecret, "evt_1", 1700000000, body), signatures[1]);
    }

    // The spec's algorithm written out apart from the product's code: key = base64 after whsec_, content = id.ts.body.
    static string Reference(string secret, string id, long timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret.Split('_', 2)[1]));
        var content = Encoding.UTF8.GetBytes(id + "." + timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".").Concat(body).ToArray();
        return "v1," + Convert.ToBase64String(hmac.ComputeHash(content));
    }
}
