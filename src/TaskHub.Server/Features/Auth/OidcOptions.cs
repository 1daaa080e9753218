using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace TaskHub.Server.Features.Auth;

/// <summary>One OpenID Connect provider, under <c>Auth:Oidc:&lt;name&gt;</c> (the name is lower-case letters, digits, dashes).</summary>
public sealed class OidcProviderOptions
{
    /// <summary>The issuer, e.g. https://accounts.google.com or https://login.microsoftonline.com/{tenant}/v2.0.</summary>
    [Required, Url] public string Authority { get; set; } = "";
    [Required] public string ClientId { get; set; } = "";
    public string? ClientSecret { get; set; }
    /// <summary>The button's text ("Sign in with …"); the name when unset.</summary>
    public string? DisplayName { get; set; }
    /// <summary>When set, only emails in these domains may sign in (and so join) through this provider.</summary>
    public string[] AllowedDomains { get; set; } = [];

    public bool AllowsEmail(string email)
    {
        if (AllowedDomains.Length == 0) return true;
        var at = email.LastIndexOf('@');
        return at > 0 && AllowedDomains.Any(d => string.Equals(d.Trim().TrimStart('@'), email[(at + 1)..], StringComparison.OrdinalIgnoreCase));
    }
}

public static partial class OidcProviders
{
    public const string Section = "Auth:Oidc";
    public const string SchemePrefix = "oidc-";

    public static string SchemeFor(string name) => SchemePrefix + name;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    public static partial Regex ValidName();

    /// <summary>The providers configured, validated (a bad one stops the start with a message naming it).</summary>
    public static Dictionary<string, OidcProviderOptions> Read(IConfiguration config)
    {
        var providers = new Dictionary<string, OidcProviderOptions>(StringComparer.Ordinal);
        foreach (var section in config.GetSection(Section).GetChildren())
        {
            var name = section.Key;
            if (!ValidName().IsMatch(name))
                throw new InvalidOperationException($"{Section}:{name}: a provider's name must be lower-case letters, digits and dashes (at most 32).");
            var options = new OidcProviderOptions();
            section.Bind(options);
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
                throw new InvalidOperationException($"{Section}:{name}: {string.Join(" ", results.Select(r => r.ErrorMessage))}");
            providers[name] = options;
        }
        return providers;
    }
}
