using Microsoft.AspNetCore.DataProtection;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// The TOTP shared secret at rest: protected with ASP.NET Core Data Protection (purpose
/// <see cref="Purpose"/>; the key ring is the one the single sign-on cookies use — Redis when scaled out), stored as
/// <c>dp1:</c> + the protected payload. A value without the prefix is a secret stored in plain text before this
/// (base32, never starts with "dp1:"): it is still read, and rewritten protected the next time a code for it is
/// accepted (<see cref="NeedsUpgrade"/>). Losing the key ring makes stored secrets unreadable (those users then sign
/// in with a recovery code), so it must persist — the same requirement as before for sign-in cookies.
/// </summary>
public sealed class TotpSecrets(IDataProtectionProvider provider)
{
    public const string Purpose = "TaskHub.Auth.TotpSecret.v1";
    private const string Prefix = "dp1:";
    private readonly IDataProtector _protector = provider.CreateProtector(Purpose);

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    /// <summary>The secret behind a stored value (protected, or a legacy plain-text one).</summary>
    public string Unprotect(string stored) =>
        stored.StartsWith(Prefix, StringComparison.Ordinal) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    /// <summary>True for a value stored before secrets were protected.</summary>
    public static bool NeedsUpgrade(string stored) => !stored.StartsWith(Prefix, StringComparison.Ordinal);
}
