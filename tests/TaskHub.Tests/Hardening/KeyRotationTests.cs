using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// JWT signing-key rotation: after the key changes, tokens signed with the previous key keep working while it
/// is listed in Jwt:PreviousSigningKeys, and stop working once it is dropped.
/// </summary>
public sealed class KeyRotationTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private const string NewKey = "the-next-signing-key-0123456789-abcdefghijkl";

    private WebApplicationFactory<Program> Rotated(bool keepOldKey) => app.WithWebHostBuilder(b =>
    {
        b.UseSetting("Jwt:SigningKey", NewKey);
        if (keepOldKey) b.UseSetting("Jwt:PreviousSigningKeys:0", TaskHubApplication.SigningKey);
    });

    [Fact]
    public async Task TokensSignedWithThePreviousKeyWorkUntilThatKeyIsRetired()
    {
        var ada = await app.SignUpAsync(); // its token is signed with the fixture's (old) key

        await using var rotated = Rotated(keepOldKey: true);
        var client = rotated.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ada.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);

        await using var retired = Rotated(keepOldKey: false);
        var stale = retired.CreateClient();
        stale.DefaultRequestHeaders.Authorization = new("Bearer", ada.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stale.GetAsync("/api/me")).StatusCode);
    }
}
