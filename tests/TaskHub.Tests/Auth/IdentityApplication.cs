using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Jobs;

namespace TaskHub.Tests.Auth;

/// <summary>SQLite, emails to the real maildev, and a clock the tests can move (reset links expire).</summary>
public class IdentityApplication : SqliteApplication
{
    public ShiftableClock Clock { get; } = new();

    public IdentityApplication()
    {
        Settings["Smtp:Host"] = "127.0.0.1";
        Settings["Smtp:Port"] = MailDev.SmtpPort.ToString();
        Settings["Smtp:UseTls"] = "false";
        Settings["Email:PublicBaseUrl"] = "https://taskhub.example.com";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Asks for a reset link for <paramref name="email"/> and returns the token from the email maildev got.</summary>
    public async Task<string> ResetTokenAsync(string email)
    {
        var before = (await MailDev.ForAsync(email)).Count;
        await (await CreateClient().PostAsJsonAsync("/api/auth/forgot", new { email })).Json(HttpStatusCode.Accepted);
        List<MailDev.Mail> mails = [];
        Assert.True(await LiveBoard.EventuallyAsync(async () => (mails = await MailDev.ForAsync(email)).Count > before, 20), "no reset email arrived");
        var mail = mails.Last(m => m.Subject.Contains("Reset", StringComparison.Ordinal));
        return Regex.Match(mail.Text, @"/reset-password\?token=([A-Za-z0-9_-]+)").Groups[1].Value;
    }

    /// <summary>Logs in once more as <paramref name="user"/> (another session), with a user agent of its own.</summary>
    public async Task<JsonElement> LogInAsync(string email, string password, string userAgent = "TestAgent/1.0")
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return await (await client.PostAsJsonAsync("/api/auth/login", new { email, password })).Json(HttpStatusCode.OK);
    }
}
