namespace TaskHub.Server.Features.Auth;

/// <summary>Settings under <c>Auth</c> (besides <c>Auth:Limits</c> and <c>Auth:Oidc</c>).</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>False: "SSO only" — sign-up, password log-in and password reset are turned off; people sign in with a provider.</summary>
    public bool PasswordSignIn { get; set; } = true;

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult PasswordSignInOff() =>
        Infrastructure.Problems.Forbidden("Password sign-in is turned off here: sign in with your organisation's single sign-on.");
}
