using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Invitations;

/// <summary>
/// An invitation to a board for an email address (typically one without an account yet). The email carries a
/// random single-use token; only its SHA-256 is stored. Accepting needs an account with that same address.
/// </summary>
public sealed class Invitation
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BoardId { get; set; }
    public required string Email { get; set; }
    public required string NormalizedEmail { get; set; }
    public BoardRole Role { get; set; }
    public required string TokenHash { get; set; }
    public Guid? InvitedById { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> b)
    {
        b.ToTable("invitations");
        b.Property(i => i.Email).HasMaxLength(UserRules.EmailMax);
        b.Property(i => i.NormalizedEmail).HasMaxLength(UserRules.EmailMax);
        b.Property(i => i.Role).HasConversion<string>().HasMaxLength(16);
        b.Property(i => i.TokenHash).HasMaxLength(64);
        b.HasIndex(i => i.TokenHash).IsUnique();
        b.HasIndex(i => new { i.BoardId, i.NormalizedEmail });
        b.HasOne<Board>().WithMany().HasForeignKey(i => i.BoardId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(i => i.InvitedById).OnDelete(DeleteBehavior.SetNull);
    }
}

public sealed record InvitationDto(Guid Id, Guid BoardId, string Email, BoardRole Role, DateTime CreatedAt, DateTime ExpiresAt)
{
    public static InvitationDto From(Invitation i) => new(i.Id, i.BoardId, i.Email, i.Role, i.CreatedAt, i.ExpiresAt);
}

public sealed record InviteRequest([property: Required(ErrorMessage = "Email is required.")] string Email, BoardRole? Role = BoardRole.Member);

/// <summary>What the sign-up page shows for a link: which board, who invited, for which address.</summary>
public sealed record InvitationPreview(string BoardName, string? InvitedBy, string Email, BoardRole Role);

public sealed record AcceptInvitationRequest([property: Required(ErrorMessage = "Token is required.")] string Token);

public sealed record AcceptedDto(Guid BoardId, BoardRole Role);

public static class InvitationsApi
{
    public static readonly TimeSpan ValidFor = TimeSpan.FromDays(7);

    public static IEndpointRouteBuilder MapInvitations(this IEndpointRouteBuilder app)
    {
        var board = app.MapGroup("/api/boards/{boardId:guid}/invitations").WithTags("Invitations").RequireAuthorization();
        board.MapGet("/", List);
        board.MapPost("/", Invite).WithIdempotencyKey();
        var api = app.MapGroup("/api/invitations").WithTags("Invitations");
        api.MapDelete("/{invitationId:guid}", Revoke).RequireAuthorization().WithIdempotencyKey();
        api.MapPost("/preview", Preview).AllowAnonymous();
        api.MapPost("/accept", Accept).RequireAuthorization();
        return app;
    }

    public static async Task<Results<Ok<List<InvitationDto>>, ProblemHttpResult>> List(Guid boardId, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var mine = await db.MembershipAsync(boardId, me.Id, ct);
        if (mine is null) return Problems.NotFound("Board");
        if (!mine.CanManageMembers) return Problems.Forbidden("Only owners and admins see invitations.");
        var now = clock.GetUtcNow().UtcDateTime;
        var pending = await db.Set<Invitation>().AsNoTracking()
            .Where(i => i.BoardId == boardId && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .OrderBy(i => i.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(pending.Select(InvitationDto.From).ToList());
    }

    /// <summary>Invites an address (owners and admins; only an owner invites an owner) and emails the link.</summary>
    public static async Task<Results<Created<InvitationDto>, ValidationProblem, ProblemHttpResult>> Invite(
        Guid boardId, InviteRequest request, CurrentUser me, TaskHubDbContext db, EmailComposer composer, TimeProvider clock, CancellationToken ct)
    {
        var role = request.Role ?? BoardRole.Member;
        if (await InviteRefusalAsync(db, boardId, me.Id, role, ct) is { } refused) return refused;
        var errors = new FieldErrors();
        UserInput.CheckEmail(errors, "email", request.Email);
        if (errors.Any) return errors.ToProblem();
        var email = request.Email.Trim();
        var normalized = User.Normalize(email);
        if (await db.BoardMembers.AnyAsync(m => m.BoardId == boardId && m.User.NormalizedEmail == normalized, ct))
            return Problems.Conflict("This person is already a member of the board.");

        var now = clock.GetUtcNow().UtcDateTime;
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var invitation = new Invitation
        {
            BoardId = boardId, Email = email, NormalizedEmail = normalized, Role = role, TokenHash = Hash(token),
            InvitedById = me.Id, CreatedAt = now, ExpiresAt = now + ValidFor,
        };
        // Earlier pending invitations of the same address to this board are replaced by this one, in the transaction
        // that adds it (a request that fails, or a repeat of it with its Idempotency-Key, revokes nothing).
        await using var tx = await db.BeginWriteAsync(ct);
        // Under the board's lock, as every change to who may join it: a board deleted meanwhile is a 404, not a 500.
        if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board");
        if (await InviteRefusalAsync(db, boardId, me.Id, role, ct) is { } refusedNow) return refusedNow; // (demoted or removed meanwhile)
        await db.Set<Invitation>().Where(i => i.BoardId == boardId && i.NormalizedEmail == normalized && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAt, now), ct);
        db.Add(invitation);

        var board = await db.Boards.Where(b => b.Id == boardId).Select(b => b.Name).SingleAsync(ct);
        var inviter = await db.Users.Where(u => u.Id == me.Id).Select(u => u.DisplayName).SingleAsync(ct);
        var link = $"{composer.BaseUrl}/invite?token={token}";
        var key = $"invitation:{invitation.Id:N}";
        var subject = $"{inviter} invited you to “{board}” on TaskHub";
        var text = $"{inviter} invited you to the board “{board}” on TaskHub as {TaskHubJson.EnumName(role)}.\n\nJoin: {link}\n\nThe link works once and for 7 days, for {email}.\n";
        var html = composer.Page($"<p style=\"font-size:16px\"><b>{WebUtility.HtmlEncode(subject)}</b></p><p><a href=\"{WebUtility.HtmlEncode(link)}\">Join the board</a></p><p style=\"color:#555\">The link works once and for 7 days, for {WebUtility.HtmlEncode(email)}.</p>");
        db.Add(OutboxWriter.New(OutboxKinds.Email, $"email:{key}",
            System.Text.Json.JsonSerializer.Serialize(new EmailEnvelope(key, email, email, subject, text, html,
                Audience: new EmailAudience(InvitationId: invitation.Id)), TaskHubJson.Options), now)); // (not sent once revoked)
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/invitations/{invitation.Id}", InvitationDto.From(invitation));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid invitationId, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        const string onlyManagers = "Only owners and admins can revoke invitations.";
        var invitation = await db.Set<Invitation>().SingleOrDefaultAsync(i => i.Id == invitationId, ct);
        if (invitation is null) return Problems.NotFound("Invitation");
        if (await db.ManagerRefusalAsync(invitation.BoardId, me.Id, onlyManagers, ct, missing: "Invitation") is { } refused) return refused;
        invitation.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        // (under the board's lock, as every change to who may join it, with the rights read again there)
        if (await db.SaveUnderBoardLockAsync(invitation.BoardId, () => db.ManagerRefusalAsync(invitation.BoardId, me.Id, onlyManagers, ct, missing: "Invitation"), ct)
            is { } refusedNow) return refusedNow;
        return TypedResults.NoContent();
    }

    /// <summary>Owners and admins invite; only an owner invites an owner.</summary>
    private static async Task<ProblemHttpResult?> InviteRefusalAsync(TaskHubDbContext db, Guid boardId, Guid userId, BoardRole role, CancellationToken ct) =>
        await db.ManagerRefusalAsync(boardId, userId, "Only owners and admins can invite.", ct,
            ownerOnly: role == BoardRole.Owner, ownerForbidden: "Only an owner can invite an owner.");

    /// <summary>Anonymous: what a link is for (the sign-up page shows it). Unknown, used, revoked or expired → 404.</summary>
    public static async Task<Results<Ok<InvitationPreview>, ProblemHttpResult>> Preview(AcceptInvitationRequest request, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var invitation = await FindLiveAsync(db, request.Token, clock, ct);
        if (invitation is null) return Problems.NotFound("Invitation");
        var board = await db.Boards.Where(b => b.Id == invitation.BoardId).Select(b => b.Name).SingleAsync(ct);
        var inviter = invitation.InvitedById is { } by ? await db.Users.Where(u => u.Id == by).Select(u => u.DisplayName).SingleOrDefaultAsync(ct) : null;
        return TypedResults.Ok(new InvitationPreview(board, inviter, invitation.Email, invitation.Role));
    }

    /// <summary>Joins the board with the invited role; the signed-in account must have the invited address. Single use.</summary>
    public static async Task<Results<Ok<AcceptedDto>, ProblemHttpResult>> Accept(
        AcceptInvitationRequest request, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var invitation = await FindLiveAsync(db, request.Token, clock, ct);
        if (invitation is null) return Problems.NotFound("Invitation");
        var email = await db.Users.Where(u => u.Id == me.Id).Select(u => u.NormalizedEmail).SingleAsync(ct);
        if (email != invitation.NormalizedEmail) return Problems.Forbidden($"This invitation is for {invitation.Email}. Sign in with that address to accept it.");

        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        // Under the board's lock, as every change to its members: a board deleted meanwhile (its invitations with it) is a
        // 404, where the member's insert failed its foreign key (500).
        if (!await db.LockBoardAsync(invitation.BoardId, ct)) return Problems.NotFound("Invitation");
        // Single use: only the request that flips AcceptedAt goes on.
        var claimed = await db.Set<Invitation>().Where(i => i.Id == invitation.Id && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, now), ct);
        if (claimed == 0) return Problems.NotFound("Invitation");
        if (!await db.BoardMembers.AnyAsync(m => m.BoardId == invitation.BoardId && m.UserId == me.Id, ct))
            db.BoardMembers.Add(new BoardMember { BoardId = invitation.BoardId, UserId = me.Id, Role = invitation.Role, JoinedAt = now });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new AcceptedDto(invitation.BoardId, invitation.Role));
    }

    private static async Task<Invitation?> FindLiveAsync(TaskHubDbContext db, string? token, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 100) return null;
        var hash = Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Set<Invitation>().AsNoTracking()
            .SingleOrDefaultAsync(i => i.TokenHash == hash && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now, ct);
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
}
