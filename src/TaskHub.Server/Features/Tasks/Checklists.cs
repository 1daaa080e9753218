using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

public sealed class ChecklistItem
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TaskId { get; set; }
    public Guid BoardId { get; set; }
    public required string Text { get; set; }
    public bool Done { get; set; }
    public string Position { get; set; } = "";
    /// <summary>1 when added, +1 on each change of its text or tick (not of its place, as a task's move): the <c>ETag</c>
    /// of its PATCH, checked against <c>If-Match</c>.</summary>
    public int Version { get; set; } = 1;
}

internal sealed class ChecklistItemConfiguration : IEntityTypeConfiguration<ChecklistItem>
{
    public void Configure(EntityTypeBuilder<ChecklistItem> b)
    {
        b.ToTable("checklist_items");
        b.Property(i => i.Text).HasMaxLength(ChecklistRules.TextMax);
        b.Property(i => i.Position).HasMaxLength(Positions.Longest + 8).IsUnicode(false);
        b.Property(i => i.Version).IsConcurrencyToken();
        b.HasIndex(i => i.TaskId);
        b.HasOne<TaskItem>().WithMany().HasForeignKey(i => i.TaskId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class ChecklistRules
{
    public const int TextMax = 500;
    public const int ItemsMax = 200;
}

public sealed record ChecklistItemDto(Guid Id, Guid TaskId, string Text, bool Done, string Position, int Version)
{
    public static ChecklistItemDto From(ChecklistItem i) => new(i.Id, i.TaskId, i.Text, i.Done, i.Position, i.Version);
}

public sealed record AddChecklistItemRequest([property: Required(ErrorMessage = "Text is required.")] string Text);

/// <summary>Any of: new text, ticked or not, a new place (right after <c>afterId</c>; null: the top).</summary>
public sealed record ChangeChecklistItemRequest(Optional<string?> Text, Optional<bool?> Done, Optional<Guid?> AfterId);

public static class ChecklistsApi
{
    public static IEndpointRouteBuilder MapChecklists(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Checklists").RequireAuthorization();
        api.MapGet("/tasks/{taskId:guid}/checklist", List);
        api.MapPost("/tasks/{taskId:guid}/checklist", Add).WithIdempotencyKey();
        api.MapPatch("/checklist-items/{itemId:guid}", Change).WithIdempotencyKey().WithIfMatch();
        api.MapDelete("/checklist-items/{itemId:guid}", Delete).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Ok<List<ChecklistItemDto>>, ProblemHttpResult>> List(Guid taskId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await TaskAccess.FindAsync(db, taskId, me.Id, ct) is null) return Problems.NotFound("Task");
        return TypedResults.Ok(await OrderedAsync(db, taskId, ct));
    }

    public static async Task<Results<Created<ChecklistItemDto>, ValidationProblem, ProblemHttpResult>> Add(
        Guid taskId, AddChecklistItemRequest request, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var member = await TaskAccess.FindAsync(db, taskId, me.Id, ct);
        if (member is null) return Problems.NotFound("Task");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot change checklists.");
        var text = (request.Text ?? "").Trim();
        if (CheckText(text) is { } problem) return problem;

        return await stream.WriteAsEditorAsync<Results<Created<ChecklistItemDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            if (task.ChecklistTotal >= ChecklistRules.ItemsMax) return FieldErrors.Single("text", $"A checklist holds at most {ChecklistRules.ItemsMax} items.");
            var last = (await OrderedAsync(db, taskId, ct)).LastOrDefault()?.Position;
            var item = new ChecklistItem { TaskId = taskId, BoardId = task.BoardId, Text = text, Position = Positions.Between(last, null) };
            db.Add(item);
            task.ChecklistTotal++;
            var dto = ChecklistItemDto.From(item);
            write.Record(BoardEventTypes.ChecklistItemAdded, task, [new FieldChange("checklist", null, text)], new EventSubject(Item: dto));
            return TypedResults.Created($"/api/checklist-items/{item.Id}", dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>Renames, ticks or moves the item; <c>If-Match</c> optional (412 with the item as it is now when stale).</summary>
    public static async Task<Results<Ok<ChecklistItemDto>, ValidationProblem, ProblemHttpResult>> Change(
        Guid itemId, ChangeChecklistItemRequest request, HttpContext http, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await db.Set<ChecklistItem>().AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId, ct);
        var member = found is null ? null : await db.MembershipAsync(found.BoardId, me.Id, ct);
        if (found is null || member is null) return Problems.NotFound("Checklist item");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot change checklists.");
        var text = request.Text.HasValue ? (request.Text.Value ?? "").Trim() : null;
        if (text is not null && CheckText(text) is { } problem) return problem;
        if (request.Done is { HasValue: true, Value: null }) return FieldErrors.Single("done", "Must be true or false.");

        return await stream.WriteAsEditorAsync<Results<Ok<ChecklistItemDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var item = await db.Set<ChecklistItem>().SingleOrDefaultAsync(i => i.Id == itemId, ct);
            var task = item is null ? null : await db.Tasks.SingleOrDefaultAsync(t => t.Id == item.TaskId, ct);
            if (item is null || task is null) return Problems.NotFound("Checklist item");
            if (!EditVersions.Allows(http, item.Version))
                return EditVersions.Stale(http, "checklist item", item.Version, $"“{item.Text}”{(item.Done ? " (done)" : "")}", ChecklistItemDto.From(item));
            var changes = new List<FieldChange>();
            if (text is not null && text != item.Text)
            {
                changes.Add(new FieldChange("checklistText", item.Text, text));
                item.Text = text;
            }
            if (request.Done.HasValue && request.Done.Value != item.Done)
            {
                item.Done = request.Done.Value!.Value;
                task.ChecklistDone += item.Done ? 1 : -1;
                changes.Add(new FieldChange(item.Done ? "checked" : "unchecked", null, item.Text));
            }
            if (request.AfterId.HasValue)
            {
                var siblings = (await OrderedAsync(db, item.TaskId, ct)).Where(i => i.Id != item.Id).ToList();
                var afterIndex = request.AfterId.Value is { } afterId ? siblings.FindIndex(i => i.Id == afterId) : -1;
                if (request.AfterId.Value is not null && afterIndex < 0)
                    return FieldErrors.Single("afterId", "Must be another item of the same checklist.");
                var position = Positions.Between(afterIndex >= 0 ? siblings[afterIndex].Position : null,
                    afterIndex + 1 < siblings.Count ? siblings[afterIndex + 1].Position : null);
                if (position != item.Position)
                {
                    item.Position = position;
                    changes.Add(new FieldChange("checklistOrder", null, item.Text));
                }
            }
            if (changes.Any(c => c.Field != "checklistOrder")) item.Version++;
            var dto = ChecklistItemDto.From(item);
            if (changes.Count > 0) write.Record(BoardEventTypes.ChecklistItemChanged, task, changes, new EventSubject(Item: dto));
            EditVersions.Tag(http, item.Version);
            return TypedResults.Ok(dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid itemId, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await db.Set<ChecklistItem>().AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId, ct);
        var member = found is null ? null : await db.MembershipAsync(found.BoardId, me.Id, ct);
        if (found is null || member is null) return Problems.NotFound("Checklist item");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot change checklists.");

        return await stream.WriteAsEditorAsync<Results<NoContent, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var item = await db.Set<ChecklistItem>().SingleOrDefaultAsync(i => i.Id == itemId, ct);
            var task = item is null ? null : await db.Tasks.SingleOrDefaultAsync(t => t.Id == item.TaskId, ct);
            if (item is null || task is null) return Problems.NotFound("Checklist item");
            db.Remove(item);
            task.ChecklistTotal--;
            if (item.Done) task.ChecklistDone--;
            write.Record(BoardEventTypes.ChecklistItemDeleted, task, [new FieldChange("checklist", item.Text, null)], new EventSubject(Item: ChecklistItemDto.From(item)));
            return TypedResults.NoContent();
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    private static ValidationProblem? CheckText(string text) =>
        text.Length == 0 ? FieldErrors.Single("text", "Text is required.")
        : text.Length > ChecklistRules.TextMax ? FieldErrors.Single("text", $"Must be at most {ChecklistRules.TextMax} characters.")
        : null;

    private static async Task<List<ChecklistItemDto>> OrderedAsync(TaskHubDbContext db, Guid taskId, CancellationToken ct) =>
        (await db.Set<ChecklistItem>().AsNoTracking().Where(i => i.TaskId == taskId).ToListAsync(ct))
            .OrderBy(i => i.Position, StringComparer.Ordinal).ThenBy(i => i.Id).Select(ChecklistItemDto.From).ToList();
}
