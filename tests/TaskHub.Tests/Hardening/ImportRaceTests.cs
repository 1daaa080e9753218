using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// An import that names a person whose account is deleted between the import's read of the people it names and its
/// insert of their memberships (MariaDB: on SQLite writers are serialised and no deletion runs in between). The deletion
/// is made to run at that point (<see cref="AfterCommandHook"/>). Before the thirty-fourth round the insert met a foreign
/// key's failure (500); the people are now read in share mode, so the deletion waits for the import.
/// </summary>
public sealed class ImportRaceTests(ImportRaceTests.App app) : IClassFixture<ImportRaceTests.App>
{
    public sealed class App : MariaDbApplication
    {
        public AfterCommandHook Hook { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Hook));
        }
    }

    [Fact]
    public async Task APersonDeletedWhileTheImportNamingThemRunsIsNotA500()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        Task<HttpResponseMessage>? deletion = null;
        var named = bob.Email.ToUpperInvariant(); // (normalised)
        app.Hook.Arm(c => c.CommandText.Contains("NormalizedEmail", StringComparison.Ordinal) && c.CommandText.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)
                          && (c.CommandText.Contains(named, StringComparison.Ordinal)
                              || c.Parameters.Cast<System.Data.Common.DbParameter>().Any(p => p.Value?.ToString()?.Contains(named, StringComparison.Ordinal) == true)),
            async () =>
            {
                deletion = Races.DeleteAccountAsync(bob);
                // Finished at once when nothing holds bob's row; waiting on the import's share lock otherwise (then it
                // goes on after the import, finds bob on the imported board, and is sent again by DeleteAccountAsync).
                await Task.WhenAny(deletion, Task.Delay(TimeSpan.FromSeconds(2)));
            });
        try
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(RacingAdminRequestsTests.ExportFile(bob.Email)), "file", "board.taskhub.json");
            var imported = await ada.Client.PostAsync("/api/imports/taskhub", form);

            Assert.True(deletion is not null, "the hook never ran: the import's read of the people it names was not seen");
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await Races.Describe(imported));
            var deleted = await deletion!;
            Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, await Races.Describe(deleted));
            Assert.Equal(0, await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == bob.Id)));
        }
        finally
        {
            app.Hook.Disarm();
        }
    }
}
