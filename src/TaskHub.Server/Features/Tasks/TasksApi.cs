using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

public static class TasksApi
{
    public const string BoardSeqHeader = "X-Board-Seq";

    public static IEndpointRouteBuilder MapTasks(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Tasks").RequireAuthorization();
        api.MapGet("/boards/{boardId:guid}/tasks", ListBoardTasks);
        api.MapPost("/boards/{boardId:guid}/tasks", CreateTask).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey();
        api.MapGet("/tasks/{taskId:guid}", GetTask);
        // The commonest writes after creation check the session in their first read (TaskAccess.FindCheckingSessionAsync).
        api.MapPatch("/tasks/{taskId:guid}", UpdateTask).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey().WithIfMatch();
        api.MapDelete("/tasks/{taskId:guid}", DeleteTask).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey().WithIfMatch();
        api.MapPost("/tasks/{taskId:guid}/move", MoveTask).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey().WithIfMatch();
        api.MapPost("/tasks/{taskId:guid}/archive", (Guid taskId, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct) =>
            SetArchivedAsync(taskId, true, http, db, stream, me, ct)).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey();
        api.MapPost("/tasks/{taskId:guid}/unarchive", (Guid taskId, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct) =>
            SetArchivedAsync(taskId, false, http, db, stream, me, ct)).WithMetadata(SessionCheckedInWrite.Instance).WithIdempotencyKey();
        api.MapGet("/me/tasks", ListMyTasks);
        return app;
    }

    /// <summary>The 412 of a stale <c>If-Match</c> on a task, as the other versioned edits answer it
    /// (<see cref="EditVersions.Stale"/>): the task as it is now under <c>current</c>, its version as the <c>ETag</c>.</summary>
    private static ProblemHttpResult StaleTask(HttpContext http, TaskItem task) =>
        EditVersions.Stale(http, "task", task.Version, $"“{task.Title}”", TaskDto.From(task));

    public static async Task<Results<Ok<List<TaskDto>>, ValidationProblem, ProblemHttpResult>> ListBoardTasks(
        Guid boardId, HttpContext http, TaskHubDbContext db, CurrentUser me,
        string? status, string? assigneeId, string? priority, string? dueBefore, string? labelId, bool? archived, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var statuses = QueryFilters.ParseEnumList<TaskState>(errors, "status", status);
        var priorities = QueryFilters.ParseEnumList<TaskPriority>(errors, "priority", priority);
        Guid? assignee = null;
        if (assigneeId is not null)
        {
            if (Guid.TryParse(assigneeId, out var a)) assignee = a;
            else errors.Add("assigneeId", "Must be a user id.");
        }
        DateTime? before = null;
        if (dueBefore is not null)
        {
            if (DateTimeOffset.TryParse(dueBefore, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)) before = d.UtcDateTime;
            else errors.Add("dueBefore", "Must be an ISO-8601 date and time, e.g. 2026-11-23T09:00:00Z.");
        }
        if (labelId is not null && !Guid.TryParse(labelId, out _)) errors.Add("labelId", "Must be a label id.");
        if (errors.Any) return errors.ToProblem();

        // The board's seq is read before its tasks: a client that loads the list and then joins the hub with
        // afterSeq = X-Board-Seq replays whatever changed in between (events carry whole task snapshots).
        var seq = await db.BoardMembers.Where(m => m.BoardId == boardId && m.UserId == me.Id)
            .Select(m => (long?)m.Board.LastSeq).SingleOrDefaultAsync(ct);
        if (seq is null) return Problems.NotFound("Board");
        http.Response.Headers[BoardSeqHeader] = seq.Value.ToString(CultureInfo.InvariantCulture);

        var query = db.Tasks.AsNoTracking().Where(t => t.BoardId == boardId);
        if (statuses is not null) query = query.Where(t => statuses.Contains(t.Status));
        if (priorities is not null) query = query.Where(t => priorities.Contains(t.Priority));
        if (assignee is not null) query = query.Where(t => t.AssigneeId == assignee);
        if (before is not null) query = query.Where(t => t.DueAt != null && t.DueAt < before);
        if (labelId is not null) query = query.Where(t => t.LabelIds.Contains(labelId.ToLowerInvariant()));
        query = archived == true ? query.Where(t => t.ArchivedAt != null) : query.Where(t => t.ArchivedAt == null);
        var tasks = await query.ToListAsync(ct);
        // Each column in its order: byte-wise by position, ties by id.
        return TypedResults.Ok(tasks.OrderBy(t => t.Status).ThenBy(t => t.Position, StringComparer.Ordinal).ThenBy(t => t.Id).Select(TaskDto.From).ToList());
    }

    public static async Task<Results<Ok<List<TaskDto>>, ValidationProblem>> ListMyTasks(
        TaskHubDbContext db, CurrentUser me, string? status, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var statuses = QueryFilters.ParseEnumList<TaskState>(errors, "status", status);
        if (errors.Any) return errors.ToProblem();
        var query = db.Tasks.AsNoTracking()
            .Where(t => t.AssigneeId == me.Id && t.Board.Members.Any(m => m.UserId == me.Id));
        if (statuses is not null) query = query.Where(t => statuses.Contains(t.Status));
        var tasks = await query.OrderBy(t => t.DueAt == null).ThenBy(t => t.DueAt).ThenBy(t => t.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(tasks.Select(TaskDto.From).ToList());
    }

    public static async Task<Results<Created<TaskDto>, ValidationProblem, ProblemHttpResult>> CreateTask(
        Guid boardId, CreateTaskRequest request, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var title = request.Title.Trim();
        errors.Check(title.Length > 0, "title", "Title is required.");
        var labels = "";
        // A caller who may not create tasks here hears 404 or 403 whatever they sent, so a request that is refused or
        // needs the board's data (its people, its labels) reads the membership first. A plain creation does not: the
        // statement that takes the board's seq checks that the caller may edit (BoardStream.WriteAsEditorAsync), and
        // that the token's session is alive (SessionCheckedInWrite: the authentication left that check to this write).
        var session = PendingSessionCheck.Of(http);
        var namesPeopleOrLabels = request.AssigneeId is not null || request.SupervisorId is not null || request.LabelIds is { Count: > 0 };
        if (errors.Any || namesPeopleOrLabels)
        {
            if (session is not null && await session.FailureAsync(http, ct) is { } revoked) return revoked;
            if (await CreateRefusalAsync(db, boardId, me.Id, ct) is { } refused) return refused;
            await CheckPeopleAsync(db, errors, boardId, request.AssigneeId, request.SupervisorId, ct);
            labels = await CheckLabelsAsync(db, errors, boardId, request.LabelIds, ct);
            if (errors.Any) return errors.ToProblem();
        }

        var status = request.Status ?? TaskState.Todo;
        TaskDto? created;
        ValidationProblem? goneMeanwhile = null;
        for (var attempt = 0; ; attempt++)
        {
            created = await stream.WriteAsEditorAsync(boardId, me.Id, lastPositionIn: status, session?.FamilyId, async write =>
            {
                if (namesPeopleOrLabels)
                {
                    // Again under the board's lock: a person's removal and a label's deletion take it too, so what was
                    // checked above may be gone now, and the new task would keep it (a non-member assigned, a deleted
                    // label's id) after the removal's own clean-up ran.
                    var again = new FieldErrors();
                    await CheckPeopleAsync(write.Db, again, boardId, request.AssigneeId, request.SupervisorId, ct);
                    await CheckLabelsAsync(write.Db, again, boardId, request.LabelIds, ct);
                    if (again.Any)
                    {
                        goneMeanwhile = again.ToProblem();
                        return null; // nothing recorded: the write rolls back
                    }
                }
                var task = new TaskItem
                {
                    BoardId = boardId,
                    Title = title,
                    Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description,
                    Priority = request.Priority ?? TaskPriority.Medium,
                    DueAt = request.DueAt?.UtcDateTime,
                    AssigneeId = request.AssigneeId,
                    SupervisorId = request.SupervisorId,
                    CreatedById = me.Id,
                };
                TaskChanges.SetStatus(task, status, write.Now);
                task.LabelIds = labels;
                task.Position = Positions.Between(write.LastPosition, null); // the bottom of its column
                write.Db.Tasks.Add(task);
                return write.Record(BoardEventTypes.TaskCreated, task, TaskChanges.Describe(task)).Task!;
            }, ct);
            if (goneMeanwhile is not null) return goneMeanwhile;
            if (created is not null) break;
            // Refused: say why, from the session and then the membership as they are now. A caller found allowed after
            // all (made an editor in between) tries once more.
            if (session is not null && await session.FailureAsync(http, ct) is { } revoked) return revoked;
            if (await CreateRefusalAsync(db, boardId, me.Id, ct) is { } refused) return refused;
            if (attempt > 0) return Problems.NotFound("Board");
        }

        http.Response.Headers.ETag = created.ETag;
        return TypedResults.Created($"/api/tasks/{created.Id}", created);
    }

    public static async Task<Results<Ok<TaskDto>, StatusCodeHttpResult, ProblemHttpResult>> GetTask(
        Guid taskId, HttpContext http, TaskHubDbContext db, CurrentUser me, CancellationToken ct)
    {
        var task = await db.Tasks.AsNoTracking()
            .SingleOrDefaultAsync(t => t.Id == taskId && t.Board.Members.Any(m => m.UserId == me.Id), ct);
        if (task is null) return Problems.NotFound("Task");
        var dto = TaskDto.From(task);
        http.Response.Headers.ETag = dto.ETag;
        if (ETags.Matches(http.Request.Headers.IfNoneMatch, task.Version) == true)
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Ok(dto);
    }

    public static async Task<Results<Ok<TaskDto>, ValidationProblem, ProblemHttpResult>> UpdateTask(
        Guid taskId, UpdateTaskRequest request, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        var (member, refused) = await TaskAccess.FindCheckingSessionAsync(http, db, taskId, me.Id, ct);
        if (member is null) return refused!;
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot change tasks.");

        var errors = new FieldErrors();
        if (request.Title.HasValue)
            errors.Check(!string.IsNullOrWhiteSpace(request.Title.Value), "title", "Title is required.")
                  .Check((request.Title.Value?.Trim().Length ?? 0) <= TaskRules.TitleMax, "title", $"Must be at most {TaskRules.TitleMax} characters.");
        if (request.Description.HasValue)
            errors.Check((request.Description.Value?.Length ?? 0) <= TaskRules.DescriptionMax, "description", $"Must be at most {TaskRules.DescriptionMax} characters.");
        if (request.Status is { HasValue: true, Value: null }) errors.Add("status", "Must be one of: todo, in_progress, done.");
        if (request.Priority is { HasValue: true, Value: null }) errors.Add("priority", "Must be one of: low, medium, high, urgent.");
        if (errors.Any) return errors.ToProblem();

        return await stream.WriteAsEditorAsync<Results<Ok<TaskDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            if (!EditVersions.Allows(http, task.Version)) return StaleTask(http, task);

            var before = TaskChanges.Snapshot(task);
            if (request.Title.HasValue) task.Title = request.Title.Value!.Trim();
            if (request.Description.HasValue) task.Description = string.IsNullOrWhiteSpace(request.Description.Value) ? null : request.Description.Value;
            if (request.Status.HasValue) TaskChanges.SetStatus(task, request.Status.Value!.Value, write.Now);
            if (request.Priority.HasValue) task.Priority = request.Priority.Value!.Value;
            if (request.DueAt.HasValue) task.DueAt = request.DueAt.Value?.UtcDateTime;
            if (request.AssigneeId.HasValue) task.AssigneeId = request.AssigneeId.Value;
            if (request.SupervisorId.HasValue) task.SupervisorId = request.SupervisorId.Value;
            if (request.LabelIds.HasValue) task.LabelIds = await CheckLabelsAsync(db, errors, member.BoardId, request.LabelIds.Value, ct);
            await CheckPeopleAsync(db, errors, member.BoardId,
                task.AssigneeId != before.AssigneeId ? task.AssigneeId : null,
                task.SupervisorId != before.SupervisorId ? task.SupervisorId : null, ct);
            if (errors.Any) return errors.ToProblem(); // nothing recorded: the write rolls back

            if (task.Priority != before.Priority) task.EscalatedAt = null; // a person set it: no longer the system's doing
            var changes = TaskChanges.Diff(before, task);
            var dto = changes.Count == 0 ? TaskDto.From(task) : write.Record(BoardEventTypes.TaskUpdated, task, changes).Task!;
            http.Response.Headers.ETag = dto.ETag;
            return TypedResults.Ok(dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteTask(
        Guid taskId, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        var (member, refused) = await TaskAccess.FindCheckingSessionAsync(http, db, taskId, me.Id, ct);
        if (member is null) return refused!;
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot delete tasks.");

        return await stream.WriteAsEditorAsync<Results<NoContent, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            if (!EditVersions.Allows(http, task.Version)) return StaleTask(http, task);
            db.Tasks.Remove(task);
            write.Record(BoardEventTypes.TaskDeleted, task, []);
            return TypedResults.NoContent();
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>
    /// Puts the task in a column right after <c>afterId</c> (absent: at the top): one row gets a position between
    /// its new neighbours. Under the board's lock, so two cards dropped into one slot at once both land, one after
    /// the other, in the same order for everyone.
    /// </summary>
    public static async Task<Results<Ok<TaskDto>, ValidationProblem, ProblemHttpResult>> MoveTask(
        Guid taskId, MoveTaskRequest request, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        var (member, refused) = await TaskAccess.FindCheckingSessionAsync(http, db, taskId, me.Id, ct);
        if (member is null) return refused!;
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot move tasks.");
        if (request.AfterId == taskId) return FieldErrors.Single("afterId", "A task cannot go after itself.");
        var status = request.Status!.Value;

        return await stream.WriteAsEditorAsync<Results<Ok<TaskDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            if (!EditVersions.Allows(http, task.Version)) return StaleTask(http, task);
            string? previous = null;
            if (request.AfterId is { } afterId)
            {
                previous = await db.Tasks.Where(t => t.Id == afterId && t.BoardId == task.BoardId && t.Status == status && t.ArchivedAt == null)
                    .Select(t => t.Position).SingleOrDefaultAsync(ct);
                if (previous is null) return FieldErrors.Single("afterId", "Must be a task in that column of this board.");
            }
            // the next card may share the previous one's key (a status change by PATCH keeps the card's position):
            // then no key fits between them and the column is re-spread below (next == previous)
            var next = await db.Tasks
                .Where(t => t.BoardId == task.BoardId && t.Status == status && t.ArchivedAt == null && t.Id != task.Id
                            && (previous == null || (t.Id != request.AfterId && string.Compare(t.Position, previous) >= 0)))
                .OrderBy(t => t.Position).ThenBy(t => t.Id).Select(t => t.Position).FirstOrDefaultAsync(ct);
            var before = TaskChanges.Snapshot(task);
            TaskChanges.SetStatus(task, status, write.Now);
            var position = next == previous && next is not null ? null : Positions.Between(previous, next);
            if (position is null || position.Length > Positions.Longest)
            {
                await RespreadAsync(write, task, before, request.AfterId, ct);
                return TypedResults.Ok(TaskDto.From(task));
            }
            if (position == task.Position && before.Status == task.Status) return TypedResults.Ok(TaskDto.From(task));
            task.Position = position;
            var changes = TaskChanges.Diff(before, task);
            changes.Add(new FieldChange("position", before.Position, position));
            var dto = write.Record(BoardEventTypes.TaskMoved, task, changes).Task!;
            http.Response.Headers.ETag = dto.ETag;
            return TypedResults.Ok(dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>
    /// The rare case of a gap worn out by many inserts: the column gets fresh, short positions. That is one
    /// <c>ColumnRespread</c> event (no task; its <c>column</c> lists every card's new position, top to bottom, the
    /// moving one included) followed by the moving task's own <c>TaskMoved</c>.
    /// </summary>
    private static async Task RespreadAsync(BoardWrite write, TaskItem moving, TaskItem movingBefore, Guid? afterId, CancellationToken ct)
    {
        var column = (await write.Db.Tasks.Where(t => t.BoardId == moving.BoardId && t.Status == moving.Status && t.ArchivedAt == null && t.Id != moving.Id)
            .ToListAsync(ct)).OrderBy(t => t.Position, StringComparer.Ordinal).ThenBy(t => t.Id).ToList();
        column.Insert(afterId is null ? 0 : column.FindIndex(t => t.Id == afterId) + 1, moving);
        var keys = Positions.Spread(column.Count);
        for (var i = 0; i < column.Count; i++) column[i].Position = keys[i];
        var positions = column.Select(t => new TaskPositionDto(t.Id, t.Position)).ToList();
        write.Record(BoardEventTypes.ColumnRespread, null, [], new EventSubject(Column: new ColumnPositionsDto(moving.Status, positions)));
        var changes = TaskChanges.Diff(movingBefore, moving);
        changes.Add(new FieldChange("position", movingBefore.Position, moving.Position));
        write.Record(BoardEventTypes.TaskMoved, moving, changes);
    }

    private static async Task<Results<Ok<TaskDto>, ProblemHttpResult>> SetArchivedAsync(
        Guid taskId, bool archive, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        var (member, refused) = await TaskAccess.FindCheckingSessionAsync(http, db, taskId, me.Id, ct);
        if (member is null) return refused!;
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot archive tasks.");
        return await stream.WriteAsEditorAsync<Results<Ok<TaskDto>, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task");
            if ((task.ArchivedAt is not null) == archive) return TypedResults.Ok(TaskDto.From(task));
            var before = TaskChanges.Snapshot(task);
            task.ArchivedAt = archive ? write.Now : null;
            // Restored to the bottom of its column.
            if (!archive) task.Position = Positions.Between(await LastPositionAsync(db, task.BoardId, task.Status, ct), null);
            var dto = write.Record(BoardEventTypes.TaskUpdated, task, TaskChanges.Diff(before, task)).Task!;
            http.Response.Headers.ETag = dto.ETag;
            return TypedResults.Ok(dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>Why the caller may not create tasks on the board (404: not a member; 403: a viewer), or null when they may.</summary>
    private static async Task<ProblemHttpResult?> CreateRefusalAsync(TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
        await db.MembershipAsync(boardId, userId, ct) switch
        {
            null => Problems.NotFound("Board"),
            { CanEditTasks: false } => Problems.Forbidden("Viewers cannot create tasks."),
            _ => null,
        };

    /// <summary>The last position in a column (its bottom), or null when it is empty.</summary>
    private static Task<string?> LastPositionAsync(TaskHubDbContext db, Guid boardId, TaskState status, CancellationToken ct) =>
        LastPosition.For(db)(db, boardId, status, ct);

    // One step down the column's index (BoardId, Status, ArchivedAt, Position); compiled (every creation asks).
    private static readonly CompiledPerModel<Func<TaskHubDbContext, Guid, TaskState, CancellationToken, Task<string?>>> LastPosition =
        new(() => EF.CompileAsyncQuery((TaskHubDbContext db, Guid boardId, TaskState status, CancellationToken ct) =>
            db.Tasks.Where(t => t.BoardId == boardId && t.Status == status && t.ArchivedAt == null)
                .OrderByDescending(t => t.Position).Select(t => t.Position).FirstOrDefault()));

    /// <summary>Labels must be the board's own (400 naming <c>labelIds</c>); returns them as stored.</summary>
    private static async Task<string> CheckLabelsAsync(TaskHubDbContext db, FieldErrors errors, Guid boardId, List<Guid>? labelIds, CancellationToken ct)
    {
        var wanted = (labelIds ?? []).Distinct().ToList();
        if (wanted.Count == 0) return "";
        if (wanted.Count > TaskRules.LabelsMax)
        {
            errors.Add("labelIds", $"At most {TaskRules.LabelsMax} labels.");
            return "";
        }
        var found = await db.Set<Label>().Where(l => l.BoardId == boardId && wanted.Contains(l.Id)).Select(l => l.Id).ToListAsync(ct);
        if (found.Count != wanted.Count) errors.Add("labelIds", "Every label must belong to this board.");
        return string.Join(',', wanted.Order());
    }

    /// <summary>Assignee and supervisor must be members of the task's board.</summary>
    private static async Task CheckPeopleAsync(TaskHubDbContext db, FieldErrors errors, Guid boardId, Guid? assigneeId, Guid? supervisorId, CancellationToken ct)
    {
        var wanted = new[] { assigneeId, supervisorId }.OfType<Guid>().Distinct().ToList();
        if (wanted.Count == 0) return;
        var members = await db.BoardMembers.Where(m => m.BoardId == boardId && wanted.Contains(m.UserId)).Select(m => m.UserId).ToListAsync(ct);
        if (assigneeId is { } a && !members.Contains(a)) errors.Add("assigneeId", "The assignee must be a member of this board.");
        if (supervisorId is { } s && !members.Contains(s)) errors.Add("supervisorId", "The supervisor must be a member of this board.");
    }
}

/// <summary>The caller's membership of a task's board; null when the task does not exist or the caller is not a member.</summary>
public static class TaskAccess
{
    public static Task<BoardMember?> FindAsync(TaskHubDbContext db, Guid taskId, Guid userId, CancellationToken ct) =>
        Membership(db.Tasks.AsNoTracking().Where(t => t.Id == taskId), userId).SingleOrDefaultAsync(ct);

    /// <summary>
    /// The first read of a task endpoint marked <see cref="SessionCheckedInWrite"/>: the caller's membership of the task's
    /// board and, in the same statement, whether the access token's session is alive (the authentication left that check
    /// to the endpoint: on MariaDB one round trip fewer). Returns the membership, or the refusal: 401 as the
    /// authentication would answer when the session is not alive, else 404. Nothing is read before it.
    /// </summary>
    public static async Task<(BoardMember? Member, ProblemHttpResult? Refusal)> FindCheckingSessionAsync(
        HttpContext http, TaskHubDbContext db, Guid taskId, Guid userId, CancellationToken ct)
    {
        var session = PendingSessionCheck.Of(http);
        var task = db.Tasks.AsNoTracking().Where(t => t.Id == taskId);
        if (session is not null)
        {
            var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
            // The same test as Auth's SessionCheck: the session is the token's user's, not revoked and not expired.
            task = task.Where(_ => db.RefreshTokens.Any(r => r.FamilyId == session.FamilyId && r.UserId == session.UserId && r.RevokedAt == null && r.ExpiresAt > now));
        }
        if (await Membership(task, userId).SingleOrDefaultAsync(ct) is { } member) return (member, null);
        // Refused: the session first (a revoked token hears 401 and nothing about the task), then the task.
        if (session is not null && await session.FailureAsync(http, ct) is { } revoked) return (null, revoked);
        return (null, Problems.NotFound("Task"));
    }

    private static IQueryable<BoardMember> Membership(IQueryable<TaskItem> task, Guid userId) =>
        task.SelectMany(t => t.Board.Members.Where(m => m.UserId == userId));
}

/// <summary>Entity tags of the form <c>"7"</c> (the task's version).</summary>
public static class ETags
{
    /// <summary>The entity tag of <paramref name="version"/>: <c>"7"</c>.</summary>
    public static string Of(int version) => $"\"{version}\"";

    /// <summary>null when the header is absent; otherwise whether it names <paramref name="version"/> (or is <c>*</c>).</summary>
    public static bool? Matches(Microsoft.Extensions.Primitives.StringValues header, int version)
    {
        if (header.Count == 0 || string.IsNullOrWhiteSpace(header.ToString())) return null;
        if (!EntityTagHeaderValue.TryParseList(header, out var tags)) return false;
        var expected = Of(version);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Tag == expected);
    }
}

public static class QueryFilters
{
    /// <summary>Parses "todo,in_progress" into enum values; null when absent.</summary>
    public static List<T>? ParseEnumList<T>(FieldErrors errors, string field, string? raw) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var byName = Enum.GetValues<T>().ToDictionary(v => TaskHubJson.EnumName(v), StringComparer.Ordinal);
        var result = new List<T>();
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (byName.TryGetValue(part, out var v)) result.Add(v);
            else
            {
                errors.Add(field, $"Must be one of: {string.Join(", ", byName.Keys)}.");
                return null;
            }
        }
        return result;
    }
}
