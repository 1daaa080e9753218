using System.Security.Cryptography;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Integrations;

/// <summary>A person's calendar feed secret: whoever has the URL reads the deadlines of that person's tasks.</summary>
public sealed class CalendarFeed
{
    public Guid UserId { get; set; }
    public required string Secret { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class CalendarFeedConfiguration : IEntityTypeConfiguration<CalendarFeed>
{
    public void Configure(EntityTypeBuilder<CalendarFeed> b)
    {
        b.ToTable("calendar_feeds");
        b.HasKey(f => f.UserId);
        b.Property(f => f.Secret).HasMaxLength(64);
        b.HasIndex(f => f.Secret).IsUnique();
        b.HasOne<User>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record CalendarFeedDto(string Url);

/// <summary>
/// iCalendar (RFC 5545) feeds of deadlines: one event per open task with a deadline assigned to me (or every task
/// of one board with <c>?board=</c>), at the deadline in UTC, with a stable UID and a link back to the task.
/// </summary>
public static class CalendarApi
{
    public static IEndpointRouteBuilder MapCalendar(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me/calendar").WithTags("Calendar").RequireAuthorization();
        me.MapGet("/", Get);
        me.MapPost("/reset", Reset);
        app.MapGet("/calendar/{secret}.ics", Feed).WithTags("Calendar").AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static string UrlOf(EmailComposer composer, string secret) => $"{composer.BaseUrl}/calendar/{secret}.ics";

    public static async Task<Ok<CalendarFeedDto>> Get(CurrentUser me, TaskHubDbContext db, EmailComposer composer, TimeProvider clock, CancellationToken ct)
    {
        Task<string?> SecretAsync() => db.Set<CalendarFeed>().Where(f => f.UserId == me.Id).Select(f => (string?)f.Secret).SingleOrDefaultAsync(ct);
        var secret = await SecretAsync();
        if (secret is null)
        {
            // The first read (two tabs, or a page that asks twice) creates it once: the others wait on the person's lock
            // and read it (both inserting answered the second a duplicate key's 500).
            await using var tx = await db.BeginWriteAsync(ct);
            if (!await db.LockUserAsync(me.Id, ct)) throw new GoneMeanwhileException("User");
            secret = await SecretAsync();
            if (secret is null)
            {
                secret = NewSecret();
                db.Add(new CalendarFeed { UserId = me.Id, Secret = secret, CreatedAt = clock.GetUtcNow().UtcDateTime });
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        return TypedResults.Ok(new CalendarFeedDto(UrlOf(composer, secret)));
    }

    /// <summary>A new secret: the old URL stops working at once. Resets at once each get their own in turn; the last stays.</summary>
    public static async Task<Ok<CalendarFeedDto>> Reset(CurrentUser me, TaskHubDbContext db, EmailComposer composer, TimeProvider clock, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockUserAsync(me.Id, ct)) throw new GoneMeanwhileException("User");
        await db.Set<CalendarFeed>().Where(f => f.UserId == me.Id).ExecuteDeleteAsync(ct);
        var feed = new CalendarFeed { UserId = me.Id, Secret = NewSecret(), CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Add(feed);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new CalendarFeedDto(UrlOf(composer, feed.Secret)));
    }

    public static async Task<IResult> Feed(string secret, string? board, TaskHubDbContext db, EmailComposer composer, TimeProvider clock, CancellationToken ct)
    {
        var feed = await db.Set<CalendarFeed>().AsNoTracking().SingleOrDefaultAsync(f => f.Secret == secret, ct);
        if (feed is null) return Results.NotFound();
        Guid? boardId = Guid.TryParse(board, out var b) ? b : null;
        if (board is not null && boardId is null) return Results.NotFound();
        var userId = feed.UserId;
        var tasks = db.Tasks.AsNoTracking().Where(t => t.DueAt != null && t.ArchivedAt == null && t.Board.Members.Any(m => m.UserId == userId));
        tasks = boardId is { } only ? tasks.Where(t => t.BoardId == only) : tasks.Where(t => t.AssigneeId == userId);
        var rows = await tasks.OrderBy(t => t.DueAt).Take(2000).Select(t => new { t.Id, t.BoardId, t.Title, t.Description, t.DueAt, t.Status, t.UpdatedAt, Board = t.Board.Name }).ToListAsync(ct);

        var calendar = new Calendar { ProductId = "-//TaskHub//Deadlines//EN" };
        calendar.AddProperty("X-WR-CALNAME", boardId is null ? "TaskHub: my deadlines" : $"TaskHub: {rows.FirstOrDefault()?.Board ?? "board"}");
        foreach (var t in rows)
        {
            var url = $"{composer.BaseUrl}/boards/{t.BoardId}?task={t.Id}";
            var due = DateTime.SpecifyKind(t.DueAt!.Value, DateTimeKind.Utc);
            calendar.Events.Add(new CalendarEvent
            {
                Uid = $"{t.Id}@taskhub",
                Summary = (t.Status == TaskState.Done ? "✓ " : "") + t.Title,
                Description = $"{t.Board}\n{url}" + (string.IsNullOrWhiteSpace(t.Description) ? "" : $"\n\n{t.Description}"),
                Start = new CalDateTime(due, "UTC"),
                Duration = Duration.FromMinutes(30),
                DtStamp = new CalDateTime(DateTime.SpecifyKind(t.UpdatedAt, DateTimeKind.Utc), "UTC"),
                Url = new Uri(url),
            });
        }
        var ics = new CalendarSerializer().SerializeToString(calendar)!;
        return Results.Text(ics, "text/calendar; charset=utf-8");
    }

    private static string NewSecret() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
}
