using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Integrations;

// ---- the export format (re-importable) ----------------------------------------------------------------------

public sealed record ExportedLabel(Guid Id, string Name, string Color);
public sealed record ExportedChecklistItem(string Text, bool Done);
public sealed record ExportedComment(string Author, string Body, DateTime CreatedAt);
public sealed record ExportedTask(
    string Title, string? Description, TaskState Status, TaskPriority Priority, DateTime? DueAt, string Position,
    IReadOnlyList<Guid> Labels, DateTime? ArchivedAt, string? AssigneeEmail, string? SupervisorEmail,
    IReadOnlyList<ExportedChecklistItem> Checklist, IReadOnlyList<ExportedComment> Comments);
public sealed record ExportedBoard(string Format, int Version, string Name, IReadOnlyList<ExportedLabel> Labels, IReadOnlyList<ExportedTask> Tasks);

/// <summary>What an import should do with each Trello list: its id and the column it becomes.</summary>
public sealed record TrelloListMapping(string ListId, string Name, int Cards, TaskState Status);

public sealed record ImportedBoardDto(Guid BoardId, string Name, int Tasks, int Labels, int Comments, int ChecklistItems);

/// <summary>
/// Boards in and out: export as JSON (re-importable) or CSV; import a TaskHub export or a Trello board export into
/// a new board. An import is one transaction and one board-stream write: all of it lands, or none of it.
/// </summary>
public static class BoardTransferApi
{
    public const string ExportFormat = "taskhub-board";
    public const long MaxImportBytes = 50 * 1024 * 1024;

    public static IEndpointRouteBuilder MapBoardTransfer(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Import and export").RequireAuthorization();
        api.MapGet("/boards/{boardId:guid}/export", Export);
        var limit = new RequestSizeLimitAttribute(MaxImportBytes + 64 * 1024);
        api.MapPost("/imports/taskhub", ImportTaskHub).DisableAntiforgery().WithMetadata(limit).WithIdempotencyKey(lookUpFirst: true);
        api.MapPost("/imports/trello/preview", PreviewTrello).DisableAntiforgery().WithMetadata(limit);
        api.MapPost("/imports/trello", ImportTrello).DisableAntiforgery().WithMetadata(limit).WithIdempotencyKey(lookUpFirst: true);
        return app;
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Export(
        Guid boardId, string? format, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var f = (format ?? "json").ToLowerInvariant();
        if (f is not ("json" or "csv")) return FieldErrors.Single("format", "Must be json or csv.");
        var board = await BuildExportAsync(db, boardId, ct);
        if (board is null) return Problems.NotFound("Board"); // deleted meanwhile
        var name = FileSafe(board.Name);
        return f == "json"
            ? TypedResults.File(JsonSerializer.SerializeToUtf8Bytes(board, TaskHubJson.Options), "application/json", $"{name}.taskhub.json")
            : TypedResults.File(Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Csv(board))).ToArray(), "text/csv; charset=utf-8", $"{name}.csv");
    }

    /// <summary>The board as an export, or null when it is gone.</summary>
    private static async Task<ExportedBoard?> BuildExportAsync(TaskHubDbContext db, Guid boardId, CancellationToken ct)
    {
        var name = await db.Boards.Where(b => b.Id == boardId).Select(b => b.Name).SingleOrDefaultAsync(ct);
        if (name is null) return null;
        var labels = await db.Set<Label>().AsNoTracking().Where(l => l.BoardId == boardId).ToListAsync(ct);
        var tasks = await db.Tasks.AsNoTracking().Where(t => t.BoardId == boardId).ToListAsync(ct);
        var ids = tasks.Select(t => t.Id).ToList();
        var people = await db.Users.AsNoTracking().Where(u => db.BoardMembers.Any(m => m.BoardId == boardId && m.UserId == u.Id)
                                                            || db.Tasks.Any(t => t.BoardId == boardId && (t.AssigneeId == u.Id || t.SupervisorId == u.Id)))
            .ToDictionaryAsync(u => u.Id, ct);
        var items = (await db.Set<ChecklistItem>().AsNoTracking().Where(i => ids.Contains(i.TaskId)).ToListAsync(ct)).ToLookup(i => i.TaskId);
        var comments = (await db.Set<Comment>().AsNoTracking().Where(c => ids.Contains(c.TaskId)).ToListAsync(ct)).ToLookup(c => c.TaskId);
        var authorIds = comments.SelectMany(g => g).Select(c => c.AuthorId).OfType<Guid>().Distinct().ToList();
        var authors = await db.Users.AsNoTracking().Where(u => authorIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return new ExportedBoard(ExportFormat, 1, name,
            labels.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => new ExportedLabel(l.Id, l.Name, l.Color)).ToList(),
            tasks.OrderBy(t => t.Status).ThenBy(t => t.Position, StringComparer.Ordinal).ThenBy(t => t.Id).Select(t => new ExportedTask(
                t.Title, t.Description, t.Status, t.Priority, t.DueAt, t.Position, t.Labels, t.ArchivedAt,
                t.AssigneeId is { } a && people.TryGetValue(a, out var au) ? au.Email : null,
                t.SupervisorId is { } s && people.TryGetValue(s, out var su) ? su.Email : null,
                items[t.Id].OrderBy(i => i.Position, StringComparer.Ordinal).Select(i => new ExportedChecklistItem(i.Text, i.Done)).ToList(),
                comments[t.Id].OrderBy(c => c.CreatedAt).Select(c => new ExportedComment(c.AuthorId is { } x && authors.TryGetValue(x, out var n) ? n : "A former member", c.Body, c.CreatedAt)).ToList())).ToList());
    }

    /// <summary>One row per task. Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.</summary>
    private static string Csv(ExportedBoard board)
    {
        var names = board.Labels.ToDictionary(l => l.Id, l => l.Name);
        var csv = new StringBuilder("Title,Status,Priority,Due (UTC),Assignee,Supervisor,Labels,Checklist,Comments,Archived,Description\r\n");
        static string Cell(string? v)
        {
            v ??= "";
            if (v.Length > 0 && "=+-@\t\r".Contains(v[0])) v = "'" + v;
            return v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{v.Replace("\"", "\"\"")}\"" : v;
        }
        foreach (var t in board.Tasks)
            csv.AppendJoin(',', Cell(t.Title), Cell(TaskHubJson.EnumName(t.Status)), Cell(TaskHubJson.EnumName(t.Priority)),
                Cell(t.DueAt?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)), Cell(t.AssigneeEmail), Cell(t.SupervisorEmail),
                Cell(string.Join("; ", t.Labels.Select(l => names.GetValueOrDefault(l, "")))),
                Cell(t.Checklist.Count == 0 ? "" : $"{t.Checklist.Count(i => i.Done)}/{t.Checklist.Count}"), Cell(t.Comments.Count.ToString(CultureInfo.InvariantCulture)),
                Cell(t.ArchivedAt is null ? "" : "yes"), Cell(t.Description)).Append("\r\n");
        return csv.ToString();
    }

    public static async Task<Results<Created<ImportedBoardDto>, ValidationProblem, ProblemHttpResult>> ImportTaskHub(
        IFormFile? file, CurrentUser me, TaskHubDbContext db, BoardStream stream, TimeProvider clock, CancellationToken ct)
    {
        if (await ReadAsync<ExportedBoard>(file, ct) is not { } parsed) return BadFile("This is not a TaskHub board export (JSON).");
        if (parsed is not { Format: ExportFormat } board || board.Tasks is null || board.Labels is null)
            return BadFile("This is not a TaskHub board export (its \"format\" is not \"taskhub-board\").");
        var plan = new ImportPlan(board.Name, board.Labels.Select(l => (l.Id.ToString(), l.Name, LabelRules.Colors.Contains(l.Color) ? l.Color : "gray")).ToList(),
            board.Tasks.Select(t => new PlannedTask(t.Title, t.Description, t.Status, t.Priority, t.DueAt, t.Position, t.Labels.Select(l => l.ToString()).ToList(), t.ArchivedAt,
                t.AssigneeEmail, t.SupervisorEmail, t.Checklist.Select(i => (i.Text, i.Done)).ToList(), t.Comments.Select(c => (c.Author, c.Body, c.CreatedAt)).ToList())).ToList());
        return await CreateAsync(plan, me.Id, db, stream, clock, ct);
    }

    /// <summary>The mapping step: the Trello lists with the column each would become (a guess from its name).</summary>
    public static async Task<Results<Ok<List<TrelloListMapping>>, ValidationProblem>> PreviewTrello(IFormFile? file, CancellationToken ct)
    {
        if (await ReadAsync<Trello.Board>(file, ct) is not { Lists: not null, Cards: not null } trello) return BadFile(Trello.NotAnExport);
        return TypedResults.Ok(Trello.Mappings(trello));
    }

    /// <summary>Imports a Trello board export (JSON) into a new board; <c>mapping</c> (optional form field, JSON
    /// <c>{listId: status}</c>) overrides the guessed columns.</summary>
    public static async Task<Results<Created<ImportedBoardDto>, ValidationProblem, ProblemHttpResult>> ImportTrello(
        IFormFile? file, [FromForm] string? mapping, CurrentUser me, TaskHubDbContext db, BoardStream stream, TimeProvider clock, CancellationToken ct)
    {
        if (await ReadAsync<Trello.Board>(file, ct) is not { Lists: not null, Cards: not null } trello) return BadFile(Trello.NotAnExport);
        Dictionary<string, TaskState>? chosen = null;
        if (!string.IsNullOrWhiteSpace(mapping))
        {
            try
            {
                chosen = JsonSerializer.Deserialize<Dictionary<string, TaskState>>(mapping, TaskHubJson.Options);
            }
            catch (JsonException)
            {
                return FieldErrors.Single("mapping", "Must be a JSON object of Trello list ids to todo, in_progress or done.");
            }
        }
        return await CreateAsync(Trello.Plan(trello, chosen), me.Id, db, stream, clock, ct);
    }

    private static ValidationProblem BadFile(string message) => FieldErrors.Single("file", message);

    /// <summary>The file as JSON of <typeparamref name="T"/> (unknown members skipped), or null when it is none.</summary>
    private static async Task<T?> ReadAsync<T>(IFormFile? file, CancellationToken ct) where T : class
    {
        if (file is null || file.Length == 0) return null;
        try
        {
            await using var s = file.OpenReadStream();
            var options = new JsonSerializerOptions(TaskHubJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip };
            return await JsonSerializer.DeserializeAsync<T>(s, options, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public sealed record PlannedTask(string Title, string? Description, TaskState Status, TaskPriority Priority, DateTime? DueAt, string? Position,
        List<string> Labels, DateTime? ArchivedAt, string? AssigneeEmail, string? SupervisorEmail, List<(string Text, bool Done)> Checklist,
        List<(string Author, string Body, DateTime At)> Comments);

    public sealed record ImportPlan(string Name, List<(string Key, string Name, string Color)> Labels, List<PlannedTask> Tasks);

    /// <summary>
    /// Creates the board (the caller owns it) and everything in it in one transaction: a board-stream write that records
    /// each label, task, checklist item and comment as its event. People named by email who have an account become
    /// members; the others are left out (their names stay in the comments).
    /// </summary>
    private static async Task<Results<Created<ImportedBoardDto>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ImportPlan plan, Guid userId, TaskHubDbContext db, BoardStream stream, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var name = (plan.Name ?? "").Trim();
        if (name.Length == 0) name = "Imported board";
        if (name.Length > BoardRules.NameMax) name = name[..BoardRules.NameMax];
        errors.Check(plan.Tasks.Count <= 20_000, "file", "At most 20,000 cards per import.");
        errors.Check(plan.Labels.Count <= LabelRules.PerBoardMax, "file", $"At most {LabelRules.PerBoardMax} labels.");
        errors.Check(plan.Tasks.All(t => !string.IsNullOrWhiteSpace(t.Title)), "file", "Every card needs a title.");
        if (errors.Any) return errors.ToProblem();

        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        // The person's row first, shared: an account deleted meanwhile is a 404, not a foreign key's 500, and a deletion
        // running meanwhile waits and then finds this board (AccountDeletion). Shared, not the person's exclusive lock: the
        // import adds rows naming other people (members, assignees), whose foreign keys take share locks on their rows, and
        // two imports naming each other's importers would each hold one row and wait for the other.
        if (!await db.ShareUserLockAsync(userId, ct)) throw new GoneMeanwhileException("User");
        var board = new Board { Name = name, CreatedAt = now };
        board.Members.Add(new BoardMember { UserId = userId, Role = BoardRole.Owner, JoinedAt = now });
        db.Boards.Add(board);
        var emails = plan.Tasks.SelectMany(t => new[] { t.AssigneeEmail, t.SupervisorEmail }).OfType<string>().Select(User.Normalize).Distinct().ToList();
        var people = await db.Users.AsNoTracking().Where(u => emails.Contains(u.NormalizedEmail)).ToDictionaryAsync(u => u.NormalizedEmail, u => u.Id, ct);
        // Their rows in share mode too (by id: the rows the foreign keys check): a person named in the file whose account is
        // deleted meanwhile is either gone here (then not named) or deleted only after this import. Before the
        // thirty-fourth round the membership's insert met a foreign key's failure (500).
        var present = await db.SharePeopleLockAsync(people.Values.ToList(), ct);
        people = people.Where(p => present.Contains(p.Value)).ToDictionary();
        foreach (var person in people.Values.Where(p => p != userId))
            board.Members.Add(new BoardMember { UserId = person, Role = BoardRole.Member, JoinedAt = now });
        await db.SaveChangesAsync(ct);

        var result = await stream.WriteAsync(board.Id, userId, write =>
        {
            var labelIds = new Dictionary<string, Guid>();
            foreach (var (key, labelName, color) in plan.Labels)
            {
                var label = new Label { BoardId = board.Id, Name = Clip(labelName, LabelRules.NameMax, "label"), Color = color };
                db.Add(label);
                labelIds[key] = label.Id;
                write.Record(BoardEventTypes.LabelsChanged, null, [new FieldChange("label", null, label.Name)], new EventSubject(Label: LabelDto.From(label)));
            }
            int comments = 0, items = 0;
            foreach (var column in plan.Tasks.GroupBy(t => t.Status))
            {
                // Each column keeps the export's order; positions are spread afresh.
                var ordered = column.OrderBy(t => t.Position ?? "", StringComparer.Ordinal).ToList();
                var keys = Positions.Spread(ordered.Count);
                for (var i = 0; i < ordered.Count; i++)
                {
                    var p = ordered[i];
                    Guid? Person(string? email) => email is not null && people.TryGetValue(User.Normalize(email), out var id) ? id : null;
                    var task = new TaskItem
                    {
                        BoardId = board.Id, Title = Clip(p.Title.Trim(), TaskRules.TitleMax, "card"), Description = p.Description is null ? null : Clip(p.Description, TaskRules.DescriptionMax, ""),
                        Priority = p.Priority, DueAt = p.DueAt, AssigneeId = Person(p.AssigneeEmail), SupervisorId = Person(p.SupervisorEmail),
                        CreatedById = userId, Position = keys[i], ArchivedAt = p.ArchivedAt,
                        LabelIds = string.Join(',', p.Labels.Where(labelIds.ContainsKey).Select(l => labelIds[l]).Distinct().Take(TaskRules.LabelsMax).Order()),
                    };
                    TaskChanges.SetStatus(task, p.Status, now);
                    db.Tasks.Add(task);
                    write.Record(BoardEventTypes.TaskCreated, task, TaskChanges.Describe(task));
                    var checklist = p.Checklist.Take(ChecklistRules.ItemsMax).ToList();
                    var itemKeys = Positions.Spread(checklist.Count);
                    for (var k = 0; k < checklist.Count; k++)
                    {
                        var (text, done) = checklist[k];
                        db.Add(new ChecklistItem { TaskId = task.Id, BoardId = board.Id, Text = Clip(text, ChecklistRules.TextMax, "item"), Done = done, Position = itemKeys[k] });
                        task.ChecklistTotal++;
                        if (done) task.ChecklistDone++;
                        items++;
                    }
                    foreach (var (author, body, at) in p.Comments)
                    {
                        var comment = new Comment { TaskId = task.Id, BoardId = board.Id, AuthorId = userId, Body = Clip($"*{author}:* {body}", CommentRules.BodyMax, ""), CreatedAt = at };
                        db.Add(comment);
                        task.CommentCount++;
                        comments++;
                    }
                }
            }
            return Task.FromResult(new ImportedBoardDto(board.Id, board.Name, plan.Tasks.Count, labelIds.Count, comments, items));
        }, ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/boards/{board.Id}", result);
    }

    private static string Clip(string s, int max, string fallback) => s.Length == 0 ? fallback : s.Length > max ? s[..max] : s;

    private static string FileSafe(string name)
    {
        var safe = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray()).Trim('-');
        return safe.Length == 0 ? "board" : safe.Length > 60 ? safe[..60] : safe;
    }
}

/// <summary>The parts of a Trello board export (JSON) an import uses.</summary>
public static class Trello
{
    public const string NotAnExport = "This is not a Trello board export (JSON from Trello's menu → Print, export and share → Export as JSON).";

    public sealed record Board(string? Name, List<ListItem>? Lists, List<Card>? Cards, List<TrelloLabel>? Labels, List<Checklist>? Checklists, List<Action>? Actions);
    public sealed record ListItem(string Id, string? Name, bool Closed, double Pos);
    public sealed record Card(string Id, string? Name, string? Desc, string? IdList, bool Closed, DateTime? Due, double Pos, List<string>? IdLabels, bool DueComplete);
    public sealed record TrelloLabel(string Id, string? Name, string? Color);
    public sealed record Checklist(string Id, string? IdCard, double Pos, List<CheckItem>? CheckItems);
    public sealed record CheckItem(string? Name, string? State, double Pos);
    public sealed record Action(string? Type, DateTime Date, ActionData? Data, Creator? MemberCreator);
    public sealed record ActionData(string? Text, ActionCard? Card);
    public sealed record ActionCard(string? Id);
    public sealed record Creator(string? FullName, string? Username);

    /// <summary>A list's column from its name: done/complete/finished → done; doing/progress/review/testing → in progress.</summary>
    public static TaskState Guess(string? name)
    {
        var n = (name ?? "").ToLowerInvariant();
        if (new[] { "done", "complete", "finished", "closed", "shipped", "released" }.Any(n.Contains)) return TaskState.Done;
        if (new[] { "doing", "progress", "review", "testing", "wip", "started", "active" }.Any(n.Contains)) return TaskState.InProgress;
        return TaskState.Todo;
    }

    public static List<TrelloListMapping> Mappings(Board b) =>
        b.Lists!.Where(l => !l.Closed).OrderBy(l => l.Pos)
            .Select(l => new TrelloListMapping(l.Id, l.Name ?? "", b.Cards!.Count(c => c.IdList == l.Id), Guess(l.Name))).ToList();

    private static readonly Dictionary<string, string> Colors = new()
    {
        ["green"] = "green", ["yellow"] = "orange", ["orange"] = "orange", ["red"] = "red", ["purple"] = "purple",
        ["blue"] = "blue", ["sky"] = "teal", ["lime"] = "green", ["pink"] = "pink", ["black"] = "gray",
    };

    public static BoardTransferApi.ImportPlan Plan(Board b, Dictionary<string, TaskState>? chosen)
    {
        var lists = b.Lists!.ToDictionary(l => l.Id);
        var listOrder = b.Lists!.OrderBy(l => l.Pos).Select((l, i) => (l.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var checklists = (b.Checklists ?? []).ToLookup(c => c.IdCard ?? "");
        var comments = (b.Actions ?? []).Where(a => a.Type == "commentCard" && a.Data?.Card?.Id is not null).ToLookup(a => a.Data!.Card!.Id!);
        var labels = (b.Labels ?? []).Select(l => (l.Id, Name: string.IsNullOrWhiteSpace(l.Name) ? (l.Color ?? "label") : l.Name!,
            Color: l.Color is not null && Colors.TryGetValue(l.Color, out var c) ? c : "gray")).ToList();
        var tasks = b.Cards!.Where(c => c.IdList is not null && lists.ContainsKey(c.IdList) && !lists[c.IdList].Closed)
            .OrderBy(c => listOrder[c.IdList!]).ThenBy(c => c.Pos)
            .Select((c, i) =>
            {
                var list = lists[c.IdList!];
                var status = chosen is not null && chosen.TryGetValue(list.Id, out var s) ? s : Guess(list.Name);
                return new BoardTransferApi.PlannedTask(
                    string.IsNullOrWhiteSpace(c.Name) ? "Untitled card" : c.Name!, string.IsNullOrWhiteSpace(c.Desc) ? null : c.Desc, status, TaskPriority.Medium,
                    c.Due?.ToUniversalTime(), i.ToString("D8", CultureInfo.InvariantCulture), c.IdLabels ?? [], c.Closed ? DateTime.UtcNow : null, null, null,
                    checklists[c.Id].OrderBy(x => x.Pos).SelectMany(x => (x.CheckItems ?? []).OrderBy(ci => ci.Pos)).Where(ci => !string.IsNullOrWhiteSpace(ci.Name))
                        .Select(ci => (ci.Name!, ci.State == "complete")).ToList(),
                    comments[c.Id].OrderBy(a => a.Date).Select(a => (a.MemberCreator?.FullName ?? a.MemberCreator?.Username ?? "Someone", a.Data!.Text ?? "", a.Date.ToUniversalTime())).ToList());
            }).ToList();
        return new BoardTransferApi.ImportPlan(b.Name ?? "Trello board", labels, tasks);
    }
}
