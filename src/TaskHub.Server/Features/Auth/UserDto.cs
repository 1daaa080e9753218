using System.ComponentModel.DataAnnotations;
using System.Net.Mail;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public sealed record UserDto(Guid Id, string Email, string DisplayName, string TimeZone, bool TwoFactorEnabled = false)
{
    public static UserDto From(User u) => new(u.Id, u.Email, u.DisplayName, u.TimeZone, u.TotpSecret is not null);
}

public sealed record RegisterRequest(
    [property: Required, MaxLength(UserRules.EmailMax)] string Email,
    [property: Required] string Password,
    [property: Required, MaxLength(UserRules.DisplayNameMax)] string DisplayName,
    [property: MaxLength(64)] string? TimeZone = null);

public sealed record LoginRequest([property: Required] string Email, [property: Required] string Password);

public sealed record RefreshRequest([property: Required] string RefreshToken);

public sealed record UpdateMeRequest(
    Optional<string> DisplayName,
    Optional<string> TimeZone,
    Optional<string> CurrentPassword,
    Optional<string> NewPassword);

public sealed record DeleteMeRequest([property: Required] string Password);

public sealed record NotificationSettingsDto(
    bool EmailOnChange,
    DigestCadence Digest,
    [property: Range(0, 720)] int ReminderLeadHours);

/// <summary>The rules for what a user may type, shared by sign-up and profile edits.</summary>
public static class UserInput
{
    public static void CheckEmail(FieldErrors errors, string field, string email)
    {
        var trimmed = email.Trim();
        var ok = trimmed.Length <= UserRules.EmailMax
                 && MailAddress.TryCreate(trimmed, out var parsed)
                 && parsed.Address == trimmed
                 && parsed.Host.Contains('.') && !parsed.Host.EndsWith('.');
        errors.Check(ok, field, "Must be a valid email address, e.g. ada@example.com.");
    }

    public static void CheckPassword(FieldErrors errors, string field, string password, string? email)
    {
        if (password.Length < UserRules.PasswordMin)
            errors.Add(field, $"Must be at least {UserRules.PasswordMin} characters.");
        else if (password.Length > UserRules.PasswordMax)
            errors.Add(field, $"Must be at most {UserRules.PasswordMax} characters.");
        else if (!password.Any(char.IsLetter) || !password.Any(c => !char.IsLetter(c)))
            errors.Add(field, "Must mix letters with digits or symbols.");
        else if (email is not null && password.Equals(email.Trim(), StringComparison.OrdinalIgnoreCase))
            errors.Add(field, "Must not be your email address.");
    }

    public static void CheckDisplayName(FieldErrors errors, string field, string? name) =>
        errors.Check(!string.IsNullOrWhiteSpace(name) && name.Trim().Length <= UserRules.DisplayNameMax, field,
            $"Must be 1 to {UserRules.DisplayNameMax} characters.");

    /// <summary>An IANA time-zone id such as Europe/Berlin (Windows ids are refused: clients speak IANA).</summary>
    public static void CheckTimeZone(FieldErrors errors, string field, string? tz)
    {
        var ok = !string.IsNullOrWhiteSpace(tz) && tz.Length <= 64
                 && TimeZoneInfo.TryFindSystemTimeZoneById(tz, out var zone) && zone.HasIanaId;
        errors.Check(ok, field, "Must be an IANA time zone such as Europe/Berlin or UTC.");
    }
}
