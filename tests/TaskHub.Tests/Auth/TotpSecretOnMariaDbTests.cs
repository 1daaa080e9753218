using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;
using TaskHub.Server.Data;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>
/// Scaled out (MariaDB, the Data Protection key ring in Redis): the protected secret fits the migrated column, is not
/// the secret, and a code verifies against it.
/// </summary>
public sealed class TotpSecretOnMariaDbTests(MariaDbApplication app) : IClassFixture<MariaDbApplication>
{
    [Fact]
    public async Task TheSecretIsStoredProtectedAndACodeStillVerifies()
    {
        var ada = await app.SignUpAsync();
        var secret = (await (await ada.Client.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK)).GetProperty("secret").GetString()!;
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        await (await ada.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code = totp.ComputeTotp(DateTime.UtcNow) })).Json(HttpStatusCode.OK);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var stored = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Users.AsNoTracking()
                .Where(u => u.Id == ada.Id).Select(u => u.TotpSecret).SingleAsync();
            Assert.StartsWith("dp1:", stored);
            Assert.DoesNotContain(secret, stored!, StringComparison.OrdinalIgnoreCase);
        }

        var first = await (await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = ada.Password })).Json(HttpStatusCode.OK);
        // The next step's code (the enrolment's step is spent).
        await (await app.CreateClient().PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken = first.GetProperty("mfaToken").GetString(), code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) }))
            .Json(HttpStatusCode.OK);
    }
}
