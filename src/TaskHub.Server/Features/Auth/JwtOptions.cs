using System.ComponentModel.DataAnnotations;
using System.Text;
using Microsoft.Extensions.Options;

namespace TaskHub.Server.Features.Auth;

/// <summary>Settings under <c>Jwt</c>. The signing key comes from configuration (environment, secrets).</summary>
public sealed class JwtOptions
{
    public const string Section = "Jwt";

    [Required] public string Issuer { get; set; } = "taskhub";
    [Required] public string Audience { get; set; } = "taskhub";

    /// <summary>HMAC-SHA256 key, at least 32 characters. Required outside Development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Keys that signed tokens before the last rotation; still accepted until those tokens expire.</summary>
    public string[] PreviousSigningKeys { get; set; } = [];

    [Range(1, 1440)] public int AccessTokenMinutes { get; set; } = 15;
    [Range(1, 365)] public int RefreshTokenDays { get; set; } = 30;

    internal static byte[] KeyBytes(string key) => Encoding.UTF8.GetBytes(key);
}

internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SigningKey))
            return ValidateOptionsResult.Fail("Jwt:SigningKey is not set. Set it (at least 32 characters) through configuration, e.g. the environment variable Jwt__SigningKey.");
        if (options.SigningKey.Length < 32)
            return ValidateOptionsResult.Fail("Jwt:SigningKey is too short: use at least 32 characters.");
        if (options.PreviousSigningKeys.Any(k => k.Length < 32))
            return ValidateOptionsResult.Fail("Every Jwt:PreviousSigningKeys entry must be at least 32 characters.");
        return ValidateOptionsResult.Success;
    }
}
