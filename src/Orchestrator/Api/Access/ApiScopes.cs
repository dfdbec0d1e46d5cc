namespace Orchestrator.Api.Access;

/// <summary>
/// The scopes an API key can hold, which are also the names of the authorization policies: the <c>submit</c>
/// policy (submit a request, read one back) admits either scope, since an operator may do what a service does;
/// the <c>operate</c> policy (everything else) admits only <c>operate</c>.
/// </summary>
public static class ApiScopes
{
    public const string Submit = "submit";
    public const string Operate = "operate";

    public const string ClaimType = "scope";
    public const string HeaderName = "X-Api-Key";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Submit, Operate };
}
