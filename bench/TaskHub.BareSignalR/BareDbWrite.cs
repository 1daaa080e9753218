// The database floor of a task creation (bench/TaskHub.BareSignalR with BareDb:ConnectionString): what TaskHub's
// POST /api/boards/{id}/tasks sends MariaDB, statement for statement and round trip for round trip, with none of
// TaskHub's own work around it (no EF, no authentication, no session or outbox or feed code); bench/run.sh's connection
// string takes pooled connections without the driver's reset, as TaskHub's Data/MySqlConnections.cs does:
//   1. the seq statement (TaskHub.Server Features/Tasks/BoardProbes.cs, the editor + session + last-position form, with
//      the two probes TaskHub registers: an active webhook, a watcher), beginning the write's transaction as TaskHub's
//      Data/InlineTransaction.cs does (isolation level, START TRANSACTION, the board row's UPDATE and the SELECT: one batch);
//   2. the save (EF's one batch): the task's INSERT and the event's INSERT … RETURNING Id, and the COMMIT
//      (InlineCommitInterceptor), read to the end.
// (Before the twelfth round TaskHub, and this floor, took four: the driver's begin and commit were round trips of their own.)
// The editor and their session family are read once per board (TaskHub's bench writer is the board's owner), as
// TaskHub's own token carries them. Keep the statements in step with BoardProbes.cs and the Tasks/BoardEvent entities:
// bench/README.md ("REST writes: the database floor") says how to compare them with MariaDB's slow log.
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using MySqlConnector;

public sealed class BareDbWrite(string connectionString)
{
    private readonly MySqlDataSource _source = new(connectionString);
    private readonly ConcurrentDictionary<Guid, (Guid Editor, Guid Family)> _writers = new();

    private const string Take =
        "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION; " +
        "UPDATE boards SET LastSeq = LastSeq + @count WHERE Id = @board" +
        " AND EXISTS (SELECT 1 FROM board_members WHERE BoardId = @board AND UserId = @editor AND Role <> 'Viewer')" +
        " AND EXISTS (SELECT 1 FROM refresh_tokens WHERE FamilyId = @family AND UserId = @editor AND RevokedAt IS NULL AND ExpiresAt > @now); " +
        "SELECT LastSeq AS Seq, (CASE WHEN EXISTS (SELECT 1 FROM webhooks WHERE BoardId = @board AND Active) THEN 1 ELSE 0 END)" +
        " + (CASE WHEN EXISTS (SELECT 1 FROM board_notification_settings WHERE BoardId = @board AND Level = 'Watching') THEN 2 ELSE 0 END) AS Flags," +
        " (SELECT Position FROM tasks WHERE BoardId = @board AND Status = @status AND ArchivedAt IS NULL ORDER BY Position DESC LIMIT 1) AS LastPosition," +
        " ROW_COUNT() AS Taken FROM boards WHERE Id = @board";

    private const string Save =
        "INSERT INTO `tasks` (`Id`, `ArchivedAt`, `AssigneeId`, `AttachmentCount`, `BoardId`, `ChecklistDone`, `ChecklistTotal`, `CommentCount`, `CompletedAt`," +
        " `CreatedAt`, `CreatedById`, `Description`, `DueAt`, `EscalatedAt`, `LabelIds`, `Position`, `Priority`, `Status`, `SupervisorId`, `Title`, `UpdatedAt`, `Version`)" +
        " VALUES (@id, NULL, NULL, 0, @board, 0, 0, 0, NULL, @now, @editor, NULL, NULL, NULL, '', @position, 'Medium', @status, NULL, @title, @now, 1);\n" +
        "INSERT INTO `board_events` (`ActorId`, `At`, `BoardId`, `ChangesJson`, `Seq`, `SubjectJson`, `TaskId`, `TaskJson`, `Type`)" +
        " VALUES (@editor, @now, @board, @changes, @seq, NULL, @id, @task, 'TaskCreated') RETURNING `Id`;\nCOMMIT;";

    /// <summary>Creates a task on the board as TaskHub does; null when the board has no editor with a live session.</summary>
    public async Task<(long Seq, JsonObject Event)?> CreateTaskAsync(Guid boardId, string title, JsonObject template, CancellationToken ct)
    {
        if (await WriterAsync(boardId, ct) is not { } writer) return null;
        var now = DateTime.UtcNow;
        await using var connection = await _source.OpenConnectionAsync(ct);
        (long Seq, JsonObject Event)? created = null;
        try
        {
            return created = await CreateTaskAsync(connection, boardId, writer, now, title, template, ct);
        }
        finally
        {
            // Refused or failed: the driver does not know of the transaction; end it before the connection goes back to the pool.
            if (created is null) await new MySqlCommand("ROLLBACK", connection).ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    private static async Task<(long Seq, JsonObject Event)?> CreateTaskAsync(MySqlConnection connection, Guid boardId,
        (Guid Editor, Guid Family) writer, DateTime now, string title, JsonObject template, CancellationToken ct)
    {
        long seq;
        string? last;
        await using (var take = new MySqlCommand(Take, connection))
        {
            take.Parameters.AddWithValue("@count", 1);
            take.Parameters.AddWithValue("@board", boardId);
            take.Parameters.AddWithValue("@editor", writer.Editor);
            take.Parameters.AddWithValue("@family", writer.Family);
            take.Parameters.AddWithValue("@now", now);
            take.Parameters.AddWithValue("@status", "Todo");
            await using var reader = await take.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct) || reader.GetInt64(3) != 1) return null; // (rolled back above)
            seq = reader.GetInt64(0);
            last = reader.IsDBNull(2) ? null : reader.GetString(2);
        }
        var id = Guid.CreateVersion7();
        // A position after the last one, of constant length (TaskHub's fractional keys; only their size matters here).
        var position = $"{(last is null ? "a" : last[..1])}{seq:D12}";
        var task = template["task"]?.DeepClone() as JsonObject ?? [];
        task["id"] = id; task["boardId"] = boardId; task["title"] = title; task["position"] = position;
        task["createdAt"] = now; task["updatedAt"] = now; task["createdById"] = writer.Editor;
        var changes = new JsonArray(
            new JsonObject { ["field"] = "title", ["from"] = null, ["to"] = title },
            new JsonObject { ["field"] = "status", ["from"] = null, ["to"] = "todo" },
            new JsonObject { ["field"] = "priority", ["from"] = null, ["to"] = "medium" });
        await using (var save = new MySqlCommand(Save, connection))
        {
            save.Parameters.AddWithValue("@id", id);
            save.Parameters.AddWithValue("@board", boardId);
            save.Parameters.AddWithValue("@now", now);
            save.Parameters.AddWithValue("@editor", writer.Editor);
            save.Parameters.AddWithValue("@position", position);
            save.Parameters.AddWithValue("@status", "Todo");
            save.Parameters.AddWithValue("@title", title);
            save.Parameters.AddWithValue("@changes", changes.ToJsonString());
            save.Parameters.AddWithValue("@seq", seq);
            save.Parameters.AddWithValue("@task", task.ToJsonString());
            await using var reader = await save.ExecuteReaderAsync(ct);
            while (await reader.NextResultAsync(ct)) { } // (to the COMMIT's result: a failed COMMIT fails the write)
        }
        var e = (JsonObject)template.DeepClone();
        e["boardId"] = boardId; e["seq"] = seq; e["task"] = task; e["changes"] = changes; e["at"] = now;
        return (seq, e);
    }

    private async Task<(Guid Editor, Guid Family)?> WriterAsync(Guid boardId, CancellationToken ct)
    {
        if (_writers.TryGetValue(boardId, out var known)) return known;
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var find = new MySqlCommand(
            "SELECT m.UserId, r.FamilyId FROM board_members m JOIN refresh_tokens r ON r.UserId = m.UserId" +
            " WHERE m.BoardId = @board AND m.Role = 'Owner' AND r.RevokedAt IS NULL AND r.ExpiresAt > @now ORDER BY r.ExpiresAt DESC LIMIT 1", connection);
        find.Parameters.AddWithValue("@board", boardId);
        find.Parameters.AddWithValue("@now", DateTime.UtcNow);
        await using var reader = await find.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return _writers[boardId] = (reader.GetGuid(0), reader.GetGuid(1));
    }
}
