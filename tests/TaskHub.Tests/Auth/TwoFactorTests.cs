using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OtpNet;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>TOTP codes are checked against <see cref="TotpClock"/>, a fake clock the tests move step by step.</summary>
public class TwoFactorApplication : IdentityApplication
{
    public FakeTimeProvider TotpClock { get; } = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton(new TotpVerifier(TotpClock)));
    }

    /// <summary>The code an authenticator app shows now (plus <paramref name="steps"/> × 30 s).</summary>
    public string Code(string secret, int steps = 0) =>
        new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(TotpClock.GetUtcNow().UtcDateTime.AddSeconds(30 * steps));

    /// <summary>Turns two-factor sign-in on for <paramref name="user"/>; the clock then moves on a step so the enrolment code is spent.</summary>
    public async Task<(string Secret, List<string> RecoveryCodes)> EnrolAsync(TestUser user)
    {
        var setup = await (await user.Client.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var enabled = await (await user.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code = Code(secret) })).Json(HttpStatusCode.OK);
        TotpClock.Advance(TimeSpan.FromSeconds(30));
        return (secret, enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList());
    }

    public async Task<string> MfaTokenAsync(TestUser user)
    {
        var first = await (await CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password })).Json(HttpStatusCode.OK);
        Assert.True(first.GetProperty("mfaRequired").GetBoolean());
        return first.GetProperty("mfaToken").GetString()!;
    }
}

public sealed class TwoFactorTests(TwoFactorApplication app) : IClassFixture<TwoFactorApplication>
{
    private readonly HttpClient _anon = app.CreateClient();

    private Task<HttpResponseMessage> SecondStep(string mfaToken, string? code = null, string? recoveryCode = null) =>
        _anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, code, recoveryCode });

    [Fact]
    public async Task EnrollingTakesACodeFromTheAppAndAnswersTenRecoveryCodesStoredHashed()
    {
        var ada = await app.SignUpAsync();
        var setup = await (await ada.Client.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var uri = setup.GetProperty("otpauthUri").GetString()!;
        Assert.StartsWith("otpauth://totp/TaskHub:", uri);
        Assert.Contains($"secret={secret}", uri);
        Assert.Contains("issuer=TaskHub", uri);
        Assert.Contains("algorithm=SHA1&digits=6&period=30", uri);
        Assert.False((await ada.Client.GetJson("/api/me")).GetProperty("twoFactorEnabled").GetBoolean());

        await (await ada.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code = app.Code(secret, steps: 3) })).AssertFieldError("code");
        var enabled = await (await ada.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code = app.Code(secret) })).Json(HttpStatusCode.OK);
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));

        var codes = enabled.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, codes.Distinct().Count());
        Assert.True((await ada.Client.GetJson("/api/me")).GetProperty("twoFactorEnabled").GetBoolean());
        await using var scope = app.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<RecoveryCode>().Where(c => c.UserId == ada.Id).Select(c => c.CodeHash).ToListAsync();
        Assert.Equal(10, stored.Count);
        Assert.Empty(stored.Intersect(codes));
        Assert.Equal(codes.Select(RecoveryCodes.Hash).Order(), stored.Order());
    }

    [Fact]
    public async Task WithTwoFactorOnLogInAsksForACodeAndGivesNoTokensUntilThen()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);

        var first = await (await _anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password })).Json(HttpStatusCode.OK);
        Assert.True(first.GetProperty("mfaRequired").GetBoolean());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("accessToken").ValueKind);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("refreshToken").ValueKind);
        // The mfa token is not an access token.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(first.GetProperty("mfaToken").GetString()!).GetAsync("/api/me")).StatusCode);

        var tokens = await (await SecondStep(first.GetProperty("mfaToken").GetString()!, app.Code(secret))).Json(HttpStatusCode.OK);
        Assert.Equal(ada.Id, tokens.GetProperty("user").GetProperty("id").GetGuid());
        await app.ClientWithToken(tokens.GetProperty("accessToken").GetString()!).GetJson("/api/me");
    }

    [Fact]
    public async Task ACodeIsValidForItsStepAndOneEitherSideOnly()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);
        app.TotpClock.Advance(TimeSpan.FromSeconds(30)); // the step before now was not used yet either
        var token = await app.MfaTokenAsync(ada);

        await (await SecondStep(token, app.Code(secret, steps: -2))).AssertFieldError("code");   // a minute old
        await (await SecondStep(token, app.Code(secret, steps: 2))).AssertFieldError("code");    // a minute ahead
        await (await SecondStep(token, app.Code(secret, steps: -1))).Json(HttpStatusCode.OK);    // the previous step: a slow typist
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));
        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret, steps: 1))).Json(HttpStatusCode.OK); // a fast phone clock
    }

    [Fact]
    public async Task AReplayedCodeIsRefused()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);
        var code = app.Code(secret);

        await (await SecondStep(await app.MfaTokenAsync(ada), code)).Json(HttpStatusCode.OK);
        await (await SecondStep(await app.MfaTokenAsync(ada), code)).AssertFieldError("code");
        // Nor does an older code of the window work once a later one was used.
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));
        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret, steps: -1))).AssertFieldError("code");
        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret))).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARecoveryCodeWorksOnce()
    {
        var ada = await app.SignUpAsync();
        var (_, recovery) = await app.EnrolAsync(ada);

        await (await SecondStep(await app.MfaTokenAsync(ada), recoveryCode: recovery[3].ToUpperInvariant())).Json(HttpStatusCode.OK);
        await (await SecondStep(await app.MfaTokenAsync(ada), recoveryCode: recovery[3])).AssertFieldError("recoveryCode");
        await (await SecondStep(await app.MfaTokenAsync(ada), recoveryCode: recovery[4])).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnExpiredOrForgedMfaTokenIsRefused()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);
        var token = await app.MfaTokenAsync(ada);

        using (app.Clock.At(DateTime.UtcNow.AddMinutes(6)))
            await (await SecondStep(token, app.Code(secret))).AssertProblem(HttpStatusCode.Unauthorized);
        await (await SecondStep(ada.AccessToken, app.Code(secret))).AssertProblem(HttpStatusCode.Unauthorized); // an access token is not one
        await (await SecondStep(token[..^3] + "abc", app.Code(secret))).AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task WrongCodesLockTheSecondStepLikeWrongPasswordsLockLogIn()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);
        var token = await app.MfaTokenAsync(ada);
        for (var i = 0; i < 5; i++) await (await SecondStep(token, "000000")).AssertFieldError("code");

        var locked = await SecondStep(token, app.Code(secret));
        await locked.AssertProblem(HttpStatusCode.TooManyRequests);
        Assert.True(locked.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task TurningItOffNeedsThePasswordAndACode()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);

        await (await ada.Client.PostAsJsonAsync("/api/me/2fa/disable", new { password = "wrong-pass-1", code = app.Code(secret) })).AssertFieldError("password");
        await (await ada.Client.PostAsJsonAsync("/api/me/2fa/disable", new { password = ada.Password, code = "123456" })).AssertFieldError("code");
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.PostAsJsonAsync("/api/me/2fa/disable", new { password = ada.Password, code = app.Code(secret) })).StatusCode);

        var login = await (await _anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password })).Json(HttpStatusCode.OK);
        Assert.False(login.GetProperty("mfaRequired").GetBoolean());
        Assert.False(string.IsNullOrEmpty(login.GetProperty("accessToken").GetString()));
        Assert.False((await ada.Client.GetJson("/api/me")).GetProperty("twoFactorEnabled").GetBoolean());
    }

    [Fact]
    public async Task SetupIsRefusedWhileTwoFactorIsOn()
    {
        var ada = await app.SignUpAsync();
        await app.EnrolAsync(ada);
        await (await ada.Client.PostAsync("/api/me/2fa/setup", null)).AssertProblem(HttpStatusCode.Conflict);
    }

    private async Task<(string? Secret, string? Pending)> StoredSecretsAsync(Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Users.AsNoTracking()
            .Where(u => u.Id == userId).Select(u => new { u.TotpSecret, u.TotpPendingSecret }).SingleAsync();
        return (row.TotpSecret, row.TotpPendingSecret);
    }

    [Fact]
    public async Task TheSecretIsStoredProtectedAndACodeStillVerifies()
    {
        var ada = await app.SignUpAsync();
        var setup = await (await ada.Client.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var (_, pending) = await StoredSecretsAsync(ada.Id);
        Assert.StartsWith("dp1:", pending);
        Assert.DoesNotContain(secret, pending!, StringComparison.OrdinalIgnoreCase);

        await (await ada.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code = app.Code(secret) })).Json(HttpStatusCode.OK);
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));
        var (stored, _) = await StoredSecretsAsync(ada.Id);
        Assert.StartsWith("dp1:", stored);
        Assert.DoesNotContain(secret, stored!, StringComparison.OrdinalIgnoreCase);
        // The column's bytes decode to nothing that holds the secret either (it is encrypted, not encoded).
        Assert.DoesNotContain(secret, System.Text.Encoding.Latin1.GetString(WebEncoders.Base64UrlDecode(stored![4..])), StringComparison.OrdinalIgnoreCase);

        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret))).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ASecretStoredInPlainTextBeforeStillWorksAndIsProtectedOnItsNextUse()
    {
        var ada = await app.SignUpAsync();
        var (secret, _) = await app.EnrolAsync(ada);
        await using (var scope = app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Users.Where(u => u.Id == ada.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpSecret, secret));

        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret))).Json(HttpStatusCode.OK);

        var (stored, _) = await StoredSecretsAsync(ada.Id);
        Assert.StartsWith("dp1:", stored);
        Assert.DoesNotContain(secret, stored!, StringComparison.OrdinalIgnoreCase);
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));
        await (await SecondStep(await app.MfaTokenAsync(ada), app.Code(secret))).Json(HttpStatusCode.OK);
    }
}
