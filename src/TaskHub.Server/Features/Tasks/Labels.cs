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

/// <summary>A board's label: a name and a colour from a fixed palette that keeps text readable on it.</summary>
public sealed class Label
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BoardId { get; set; }
    public required string Name { get; set; }
    public required string Color { get; set; }
    /// <summary>1 when created, +1 on each rename or recolour: the <c>ETag</c> of its PATCH, checked against <c>If-Match</c>.</summary>
    public int Version { get; set; } = 1;
}

internal sealed class LabelConfiguration : IEntityTypeConfiguration<Label>
{
    public void Configure(EntityTypeBuilder<Label> b)
    {
        b.ToTable("labels");
        b.Property(l => l.Name).HasMaxLength(LabelRules.NameMax);
        b.Property(l => l.Color).HasMaxLength(16);
        b.Property(l => l.Version).IsConcurrencyToken();
        b.HasIndex(l => l.BoardId);
        b.HasOne<Board>().WithMany().HasForeignKey(l => l.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class LabelRules
{
    public const int NameMax = 40;
    public const int PerBoardMax = 50;
    /// <summary>The palette: each colour has at least 4.5:1 contrast with white text (WCAG AA).</summary>
    public static readonly IReadOnlyList<string> Colors = ["red", "orange", "green", "teal", "blue", "indigo", "purple", "pink", "gray"];
}

public sealed record LabelDto(Guid Id, Guid BoardId, string Name, string Color, int Version)
{
    public static LabelDto From(Label l) => new(l.Id, l.BoardId, l.Name, l.Color, l.Version);
}

public sealed record LabelRequest([property: Required(ErrorMessage = "Name is required.")] string Name, [property: Required(ErrorMessage = "Color is required.")] string Color);

public sealed record ChangeLabelRequest(Optional<string?> Name, Optional<string?> Color);

public static class LabelsApi
{
    public static IEndpointRouteBuilder MapLabels(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Labels").RequireAuthorization();
        api.MapGet("/boards/{boardId:guid}/labels", List);
        api.MapPost("/boards/{boardId:guid}/labels", Create).WithIdempotencyKey();
        api.MapPatch("/labels/{labelId:guid}", Change).WithIdempotencyKey().WithIfMatch();
        api.MapDelete("/labels/{labelId:guid}", Delete).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Ok<List<LabelDto>>, ProblemHttpResult>> List(Guid boardId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var labels = await db.Set<Label>().AsNoTracking().Where(l => l.BoardId == boardId).ToListAsync(ct);
        return TypedResults.Ok(labels.OrderBy(l => l.Name, StringComparer.OrdinalIgnoreCase).Select(LabelDto.From).ToList());
    }

    public static async Task<Results<Created<LabelDto>, ValidationProblem, ProblemHttpResult>> Create(
        Guid boardId, LabelRequest request, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var member = await db.MembershipAsync(boardId, me.Id, ct);
        if (member is null) return Problems.NotFound("Board");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot manage labels.");
        var errors = Check(request.Name, request.Color);
        if (errors.Any) return errors.ToProblem();

        return await stream.WriteAsEditorAsync<Results<Created<LabelDto>, ValidationProblem, ProblemHttpResult>>(boardId, me.Id, async write =>
        {
            if (await db.Set<Label>().CountAsync(l => l.BoardId == boardId, ct) >= LabelRules.PerBoardMax)
                return FieldErrors.Single("name", $"A board has at most {LabelRules.PerBoardMax} labels.");
            var label = new Label { BoardId = boardId, Name = request.Name.Trim(), Color = request.Color };
            db.Add(label);
            var dto = LabelDto.From(label);
            write.Record(BoardEventTypes.LabelsChanged, null, [new FieldChange("label", null, label.Name)], new EventSubject(Label: dto));
            return TypedResults.Created($"/api/labels/{label.Id}", dto);
        }, ct) ?? await db.EditRefusalAsync(boardId, me.Id, ct);
    }

    /// <summary>Renames or recolours the label; <c>If-Match</c> optional (412 with the label as it is now when stale).</summary>
    public static async Task<Results<Ok<LabelDto>, ValidationProblem, ProblemHttpResult>> Change(
        Guid labelId, ChangeLabelRequest request, HttpContext http, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await db.Set<Label>().AsNoTracking().SingleOrDefaultAsync(l => l.Id == labelId, ct);
        var member = found is null ? null : await db.MembershipAsync(found.BoardId, me.Id, ct);
        if (found is null || member is null) return Problems.NotFound("Label");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot manage labels.");
        var errors = Check(request.Name.HasValue ? request.Name.Value : found.Name, request.Color.HasValue ? request.Color.Value : found.Color);
        if (errors.Any) return errors.ToProblem();

        return await stream.WriteAsEditorAsync<Results<Ok<LabelDto>, ValidationProblem, ProblemHttpResult>>(found.BoardId, me.Id, async write =>
        {
            var label = await db.Set<Label>().SingleOrDefaultAsync(l => l.Id == labelId, ct);
            if (label is null) return Problems.NotFound("Label");
            if (!EditVersions.Allows(http, label.Version))
                return EditVersions.Stale(http, "label", label.Version, $"“{label.Name}” ({label.Color})", LabelDto.From(label));
            var (name, color) = (label.Name, label.Color);
            if (request.Name.HasValue) label.Name = request.Name.Value!.Trim();
            if (request.Color.HasValue) label.Color = request.Color.Value!;
            var changed = name != label.Name || color != label.Color;
            if (changed) label.Version++;
            var dto = LabelDto.From(label);
            if (changed) write.Record(BoardEventTypes.LabelsChanged, null, [new FieldChange("label", name, label.Name)], new EventSubject(Label: dto));
            EditVersions.Tag(http, dto.Version);
            return TypedResults.Ok(dto);
        }, ct) ?? await db.EditRefusalAsync(found.BoardId, me.Id, ct);
    }

    /// <summary>Deletes the label and takes it off every task that has it (each a recorded change of that task).</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid labelId, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await db.Set<Label>().AsNoTracking().SingleOrDefaultAsync(l => l.Id == labelId, ct);
        var member = found is null ? null : await db.MembershipAsync(found.BoardId, me.Id, ct);
        if (found is null || member is null) return Problems.NotFound("Label");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot manage labels.");

        return await stream.WriteAsEditorAsync<Results<NoContent, ProblemHttpResult>>(found.BoardId, me.Id, async write =>
        {
            var label = await db.Set<Label>().SingleOrDefaultAsync(l => l.Id == labelId, ct);
            if (label is null) return Problems.NotFound("Label");
            var id = label.Id.ToString();
            var tagged = await db.Tasks.Where(t => t.BoardId == label.BoardId && t.LabelIds.Contains(id)).OrderBy(t => t.Id).ToListAsync(ct);
            foreach (var task in tagged)
            {
                var before = TaskChanges.Snapshot(task);
                task.LabelIds = string.Join(',', task.Labels.Where(l => l != label.Id));
                write.Record(BoardEventTypes.TaskUpdated, task, TaskChanges.Diff(before, task));
            }
            db.Remove(label);
            write.Record(BoardEventTypes.LabelsChanged, null, [new FieldChange("label", label.Name, null)], new EventSubject(Label: LabelDto.From(label)));
            return TypedResults.NoContent();
        }, ct) ?? await db.EditRefusalAsync(found.BoardId, me.Id, ct);
    }

    private static FieldErrors Check(string? name, string? color)
    {
        var errors = new FieldErrors();
        var n = (name ?? "").Trim();
        errors.Check(n.Length > 0, "name", "Name is required.")
              .Check(n.Length <= LabelRules.NameMax, "name", $"Must be at most {LabelRules.NameMax} characters.")
              .Check(color is not null && LabelRules.Colors.Contains(color), "color", $"Must be one of: {string.Join(", ", LabelRules.Colors)}.");
        return errors;
    }
}
