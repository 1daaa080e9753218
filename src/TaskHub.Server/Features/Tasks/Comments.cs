using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ganss.Xss;
using Markdig;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

/// <summary>A Markdown comment on a task; mentions are written <c>@[Display Name](userId)</c>.</summary>
public sealed class Comment
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TaskId { get; set; }
    public Guid BoardId { get; set; }
    public Guid? AuthorId { get; set; }
    public required string Body { get; set; }
    /// <summary>The mentioned users' ids, comma-separated.</summary>
    public string Mentions { get; set; } = "";
    public DateTime CreatedAt { get; set; }
    public DateTime? EditedAt { get; set; }
    /// <summary>1 when written, +1 on each edit: the <c>ETag</c> of its PATCH, checked against <c>If-Match</c> (its author
    /// editing from two tabs or devices).</summary>
    public int Version { get; set; } = 1;
}

internal sealed class CommentConfiguration : IEntityTypeConfiguration<Comment>
{
    public void Configure(EntityTypeBuilder<Comment> b)
    {
        b.ToTable("comments");
        b.Property(c => c.Body).HasMaxLength(CommentRules.BodyMax);
        b.Property(c => c.Mentions).HasMaxLength(CommentRules.MentionsMax * 37).IsUnicode(false);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasIndex(c => new { c.TaskId, c.CreatedAt });
        b.HasOne<TaskItem>().WithMany().HasForeignKey(c => c.TaskId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(c => c.AuthorId).OnDelete(DeleteBehavior.SetNull);
    }
}

public static class CommentRules
{
    public const int BodyMax = 10_000;
    public const int MentionsMax = 20;
}

public sealed record CommentDto(Guid Id, Guid TaskId, Guid? AuthorId, string Body, string BodyHtml, IReadOnlyList<Guid> Mentions, DateTime CreatedAt, DateTime? EditedAt, int Version)
{
    public static CommentDto From(Comment c) => new(c.Id, c.TaskId, c.AuthorId, c.Body, CommentMarkdown.ToHtml(c.Body),
        c.Mentions.Length == 0 ? [] : c.Mentions.Split(',').Select(Guid.Parse).ToList(), c.CreatedAt, c.EditedAt, c.Version);
}

public sealed record CommentRequest([property: Required(ErrorMessage = "Write something.")] string Body);

/// <summary>Markdown to safe HTML: raw HTML is shown as text, links keep only http(s)/mailto, mentions become chips.</summary>
public static partial class CommentMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().DisableHtml().UseAutoLinks().UseEmphasisExtras().UseTaskLists().Build();
    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    [GeneratedRegex(@"@\[(?<name>[^\]\n]{1,100})\]\((?<id>[0-9a-fA-F-]{36})\)")]
    public static partial Regex Mention();

    public static IReadOnlyList<Guid> Mentions(string body) =>
        Mention().Matches(body).Select(m => Guid.TryParse(m.Groups["id"].Value, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().ToList();

    public static string ToHtml(string body)
    {
        // Mentions first, as text Markdown leaves alone, then a span after rendering.
        var marked = Mention().Replace(body, m => $"\u2063mention:{m.Groups["id"].Value}:{m.Groups["name"].Value.Replace(":", "\u2064")}\u2063");
        var html = Markdown.ToHtml(marked, Pipeline);
        html = MentionMarker().Replace(html, m => $"<span class=\"mention\" data-user-id=\"{m.Groups["id"].Value}\">@{m.Groups["name"].Value.Replace("\u2064", ":")}</span>");
        return Sanitizer.Sanitize(html);
    }

    [GeneratedRegex("\u2063mention:(?<id>[0-9a-fA-F-]{36}):(?<name>[^\u2063]*)\u2063")]
    private static partial Regex MentionMarker();

    private static HtmlSanitizer CreateSanitizer()
    {
        var s = new HtmlSanitizer();
        s.AllowedSchemes.Clear();
        s.AllowedSchemes.Add("http");
        s.AllowedSchemes.Add("https");
        s.AllowedSchemes.Add("mailto");
        s.AllowedAttributes.Add("data-user-id");
        s.AllowedAttributes.Add("class");
        s.AllowedClasses.Add("mention"); // the only class kept: no other class from the input survives
        s.AllowedAttributes.Remove("style");
        s.AllowedTags.Remove("img"); // no remote images (tracking pixels) in comments
        s.PostProcessNode += (_, e) =>
        {
            if (e.Node is AngleSharp.Dom.IElement { TagName: "A" } a)
            {
                a.SetAttribute("rel", "noopener noreferrer nofollow");
                a.SetAttribute("target", "_blank");
            }
        };
        return s;
    }
}

public static class CommentsApi
{
    public static IEndpointRouteBuilder MapComments(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Comments").RequireAuthorization();
        api.MapGet("/tasks/{taskId:guid}/comments", List);
        api.MapPost("/tasks/{taskId:guid}/comments", Add).WithIdempotencyKey();
        api.MapPatch("/comments/{commentId:guid}", Edit).WithIdempotencyKey().WithIfMatch();
        api.MapDelete("/comments/{commentId:guid}", Delete).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Ok<List<CommentDto>>, ProblemHttpResult>> List(Guid taskId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await TaskAccess.FindAsync(db, taskId, me.Id, ct) is null) return Problems.NotFound("Task");
        var comments = await db.Set<Comment>().AsNoTracking().Where(c => c.TaskId == taskId).OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToListAsync(ct);
        return TypedResults.Ok(comments.Select(CommentDto.From).ToList());
    }

    public static async Task<Results<Created<CommentDto>, ValidationProblem, ProblemHttpResult>> Add(
        Guid taskId, CommentRequest request, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var member = await TaskAccess.FindAsync(db, taskId, me.Id, ct);
        if (member is null) return Problems.NotFound("Task");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot comment.");
        var (body, mentions, errors) = await CheckAsync(db, member.BoardId, request.Body, ct);
        if (errors.Any) return errors.ToProblem();

        return await stream.WriteAsEditorAsync<Results<Created<CommentDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            var comment = new Comment { TaskId = taskId, BoardId = task.BoardId, AuthorId = me.Id, Body = body, Mentions = string.Join(',', mentions), CreatedAt = write.Now };
            db.Add(comment);
            task.CommentCount++;
            var dto = CommentDto.From(comment);
            write.Record(BoardEventTypes.CommentAdded, task, [new FieldChange("comment", null, Excerpt(body))], new EventSubject(Comment: dto));
            return TypedResults.Created($"/api/comments/{comment.Id}", dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>The author's edit; <c>If-Match</c> optional (412 with the comment as it is now when stale).</summary>
    public static async Task<Results<Ok<CommentDto>, ValidationProblem, ProblemHttpResult>> Edit(
        Guid commentId, CommentRequest request, HttpContext http, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await FindAsync(db, commentId, me.Id, ct);
        if (found is null) return Problems.NotFound("Comment");
        if (found.Value.Comment.AuthorId != me.Id) return Problems.Forbidden("Only its author can edit a comment.");
        var (body, mentions, errors) = await CheckAsync(db, found.Value.Member.BoardId, request.Body, ct);
        if (errors.Any) return errors.ToProblem();

        return await stream.WriteAsync<Results<Ok<CommentDto>, ValidationProblem, ProblemHttpResult>>(found.Value.Member.BoardId, me.Id, async write =>
        {
            // Again under the board's lock (the write's first statement took it): removed meanwhile, their edit must not land after that.
            if (await db.MembershipAsync(write.BoardId, me.Id, ct) is null) return Problems.NotFound("Comment");
            var comment = await db.Set<Comment>().SingleOrDefaultAsync(c => c.Id == commentId, ct);
            var task = comment is null ? null : await db.Tasks.SingleOrDefaultAsync(t => t.Id == comment.TaskId, ct);
            if (comment is null || task is null) return Problems.NotFound("Comment");
            if (!EditVersions.Allows(http, comment.Version))
                return EditVersions.Stale(http, "comment", comment.Version, $"“{Excerpt(comment.Body)}”", CommentDto.From(comment));
            var before = comment.Body;
            var changed = before != body;
            if (changed)
            {
                comment.Body = body;
                comment.Mentions = string.Join(',', mentions);
                comment.EditedAt = write.Now;
                comment.Version++;
            }
            var dto = CommentDto.From(comment);
            if (changed) write.Record(BoardEventTypes.CommentEdited, task, [new FieldChange("comment", Excerpt(before), Excerpt(body))], new EventSubject(Comment: dto));
            EditVersions.Tag(http, dto.Version);
            return TypedResults.Ok(dto);
        }, ct);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid commentId, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await FindAsync(db, commentId, me.Id, ct);
        if (found is null) return Problems.NotFound("Comment");
        if (found.Value.Comment.AuthorId != me.Id && !found.Value.Member.CanManageMembers)
            return Problems.Forbidden("Only its author, or a board owner or admin, can delete a comment.");

        return await stream.WriteAsync<Results<NoContent, ProblemHttpResult>>(found.Value.Member.BoardId, me.Id, async write =>
        {
            // Again under the board's lock: removed, or no longer an owner or admin, meanwhile, the deletion must not land after that.
            var member = await db.MembershipAsync(write.BoardId, me.Id, ct);
            if (member is null) return Problems.NotFound("Comment");
            var comment = await db.Set<Comment>().SingleOrDefaultAsync(c => c.Id == commentId, ct);
            var task = comment is null ? null : await db.Tasks.SingleOrDefaultAsync(t => t.Id == comment.TaskId, ct);
            if (comment is null || task is null) return Problems.NotFound("Comment");
            if (comment.AuthorId != me.Id && !member.CanManageMembers)
                return Problems.Forbidden("Only its author, or a board owner or admin, can delete a comment.");
            db.Remove(comment);
            task.CommentCount = Math.Max(0, task.CommentCount - 1);
            write.Record(BoardEventTypes.CommentDeleted, task, [new FieldChange("comment", Excerpt(comment.Body), null)], new EventSubject(Comment: CommentDto.From(comment)));
            return TypedResults.NoContent();
        }, ct);
    }

    private static string Excerpt(string body) => body.Length > 200 ? body[..200] + "…" : body;

    private static async Task<(Comment Comment, BoardMember Member)?> FindAsync(TaskHubDbContext db, Guid commentId, Guid userId, CancellationToken ct)
    {
        var comment = await db.Set<Comment>().AsNoTracking().SingleOrDefaultAsync(c => c.Id == commentId, ct);
        if (comment is null) return null;
        var member = await db.MembershipAsync(comment.BoardId, userId, ct);
        return member is null ? null : (comment, member);
    }

    /// <summary>1–10,000 characters; every mention names a member of the board.</summary>
    private static async Task<(string Body, IReadOnlyList<Guid> Mentions, FieldErrors Errors)> CheckAsync(TaskHubDbContext db, Guid boardId, string? raw, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var body = (raw ?? "").Trim();
        errors.Check(body.Length > 0, "body", "Write something.")
              .Check(body.Length <= CommentRules.BodyMax, "body", $"Must be at most {CommentRules.BodyMax} characters.");
        var mentions = CommentMarkdown.Mentions(body);
        errors.Check(mentions.Count <= CommentRules.MentionsMax, "body", $"Mention at most {CommentRules.MentionsMax} people.");
        if (mentions.Count > 0 && !errors.Any)
        {
            var members = await db.BoardMembers.Where(m => m.BoardId == boardId && mentions.Contains(m.UserId)).Select(m => m.UserId).ToListAsync(ct);
            if (members.Count != mentions.Count) errors.Add("body", "Only members of this board can be mentioned.");
        }
        return (body, mentions, errors);
    }
}
