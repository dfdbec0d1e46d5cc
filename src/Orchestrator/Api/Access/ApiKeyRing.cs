using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Api.Access;

/// <summary>
/// The configured keys, checked in constant time: the presented key's SHA-256 is compared with every stored key's
/// SHA-256 by <see cref="CryptographicOperations.FixedTimeEquals"/>, all of them every time, so neither the
/// position of a match nor the length of a key shows in the timing.
/// </summary>
public sealed class ApiKeyRing
{
    readonly (string Name, byte[] Hash, IReadOnlySet<string> Scopes)[] _keys;

    ApiKeyRing((string, byte[], IReadOnlySet<string>)[] keys) => _keys = keys;

    public int Count => _keys.Length;

    /// <summary>The keys' names, for logs (never the keys).</summary>
    public IEnumerable<string> Names => _keys.Select(k => k.Name);

    /// <summary>
    /// The ring, or the problems that make the configuration unusable (each names its setting). Whether keys are
    /// required at all is <see cref="ApiAccess"/>'s to say.
    /// </summary>
    public static (ApiKeyRing? Ring, IReadOnlyList<string> Problems) From(ApiAccessOptions options)
    {
        var problems = new List<string>();
        var keys = new List<(string, byte[], IReadOnlySet<string>)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var entry = options.Keys[i];
            var at = $"{ApiAccessOptions.SectionName}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(entry.Name))
                problems.Add($"{at}:Name is missing");
            else if (!names.Add(entry.Name))
                problems.Add($"{at}:Name '{entry.Name}' is used by another key");
            if (string.IsNullOrEmpty(entry.Key) || entry.Key.Length < ApiAccessOptions.MinimumKeyLength)
                problems.Add($"{at}:Key must be at least {ApiAccessOptions.MinimumKeyLength} characters");
            else if (!secrets.Add(entry.Key))
                problems.Add($"{at}:Key is the same as another key's");
            var scopes = (entry.Scopes ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .ToHashSet(StringComparer.Ordinal);
            if (scopes.Count == 0)
                problems.Add($"{at}:Scopes is missing (use '{ApiScopes.Submit}', '{ApiScopes.Operate}' or both)");
            foreach (var unknown in scopes.Where(s => !ApiScopes.All.Contains(s)))
                problems.Add($"{at}:Scopes has unknown scope '{unknown}' (known: {ApiScopes.Submit}, {ApiScopes.Operate})");
            if (!string.IsNullOrEmpty(entry.Key))
                keys.Add((entry.Name ?? "", Hash(entry.Key), scopes));
        }
        if (options.SubmitPermitsPerSecond < 1)
            problems.Add($"{ApiAccessOptions.SectionName}:SubmitPermitsPerSecond must be at least 1 (got {options.SubmitPermitsPerSecond})");
        if (options.SubmitBurst < 1)
            problems.Add($"{ApiAccessOptions.SectionName}:SubmitBurst must be at least 1 (got {options.SubmitBurst})");
        return problems.Count > 0 ? (null, problems) : (new ApiKeyRing([.. keys]), problems);
    }

    /// <summary>What to say when keys are required (<paramref name="why"/>) but none is configured.</summary>
    public static string NoKeysProblem(string why) =>
        $"API keys are required but none is configured ({why}): set {ApiAccessOptions.SectionName}:Keys:0:Name, :Key and :Scopes " +
        $"(environment: Orchestrator__Api__Keys__0__Key=...), or turn keys off with {ApiAccessOptions.SectionName}:RequireKeys=false";

    /// <summary>The key's name and scopes, or null when no configured key matches.</summary>
    public (string Name, IReadOnlySet<string> Scopes)? Find(string presented)
    {
        var hash = Hash(presented);
        (string, IReadOnlySet<string>)? match = null;
        foreach (var (name, stored, scopes) in _keys)
        {
            // No early exit: every stored key is compared whatever matched before.
            if (CryptographicOperations.FixedTimeEquals(hash, stored))
                match = (name, scopes);
        }
        return match;
    }

    static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
