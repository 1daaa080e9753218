using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Attachments;

public static class AttachmentsApi
{
    /// <summary>Images a browser may show inline; anything else (SVG and HTML included) downloads.</summary>
    private static readonly HashSet<string> InlineTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"];

    public static IEndpointRouteBuilder MapAttachments(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Attachments").RequireAuthorization();
        var max = app.ServiceProvider.GetRequiredService<IOptions<AttachmentsOptions>>().Value.MaxBytes;
        api.MapPost("/tasks/{taskId:guid}/attachments", Upload).DisableAntiforgery().WithIdempotencyKey(lookUpFirst: true)
            .WithMetadata(new RequestSizeLimitAttribute(max + 64 * 1024)); // the file plus the multipart framing
        api.MapGet("/tasks/{taskId:guid}/attachments", List);
        api.MapGet("/attachments/{attachmentId:guid}", Download);
        api.MapDelete("/attachments/{attachmentId:guid}", Delete).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Ok<List<AttachmentDto>>, ProblemHttpResult>> List(Guid taskId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await TaskAccess.FindAsync(db, taskId, me.Id, ct) is null) return Problems.NotFound("Task");
        var list = await db.Set<Attachment>().AsNoTracking().Where(a => a.TaskId == taskId).OrderBy(a => a.CreatedAt).ThenBy(a => a.Id).ToListAsync(ct);
        return TypedResults.Ok(list.Select(AttachmentDto.From).ToList());
    }

    /// <summary>
    /// Stores the file (streamed to the store), then records it on the task as a board event. A pending-upload row
    /// written first and removed with the attachment's row makes sure a refused or interrupted upload leaves no object
    /// (a repeat sent with the first upload's <c>Idempotency-Key</c> while the first runs too: its write fails on the key,
    /// and its object goes; one sent after the first was applied is answered before it stores anything).
    /// </summary>
    public static async Task<Results<Created<AttachmentDto>, ValidationProblem, ProblemHttpResult>> Upload(
        Guid taskId, IFormFile? file, CurrentUser me, TaskHubDbContext db, BoardStream stream, IAttachmentStore store,
        IOptions<AttachmentsOptions> options, TimeProvider clock, IServiceScopeFactory scopes, CancellationToken ct)
    {
        var member = await TaskAccess.FindAsync(db, taskId, me.Id, ct);
        if (member is null) return Problems.NotFound("Task");
        if (!member.CanEditTasks) return Problems.Forbidden("Viewers cannot attach files.");
        if (file is null) return FieldErrors.Single("file", "Attach a file (multipart form field \"file\").");
        var max = options.Value.MaxBytes;
        if (file.Length > max)
            return TypedResults.Problem($"The file is larger than the limit of {max / (1024 * 1024)} MB.", statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "File too large", extensions: new Dictionary<string, object?> { ["field"] = "file" });
        if (file.Length == 0) return FieldErrors.Single("file", "The file is empty.");

        var id = Guid.CreateVersion7();
        var key = Attachment.KeyFor(member.BoardId, taskId, id);
        // In a context of its own: what the request's context saves goes in with the attachment (an Idempotency-Key's
        // row, which must be committed exactly when the attachment is).
        await using (var scope = scopes.CreateAsyncScope())
        {
            var pending = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            pending.Add(new PendingUpload { StorageKey = key, CreatedAt = clock.GetUtcNow().UtcDateTime });
            await pending.SaveChangesAsync(ct);
        }

        string contentType;
        await using (var content = file.OpenReadStream())
        {
            contentType = await ContentSniffer.SniffAsync(content, ct);
            content.Position = 0;
            await store.PutAsync(key, content, file.Length, contentType, ct);
        }

        return await stream.WriteAsEditorAsync<Results<Created<AttachmentDto>, ValidationProblem, ProblemHttpResult>>(member.BoardId, me.Id, async write =>
        {
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null) return Problems.NotFound("Task"); // deleted meanwhile: the sweeper removes the object
            var attachment = new Attachment
            {
                Id = id, TaskId = taskId, BoardId = task.BoardId, FileName = FileNames.Sanitize(file.FileName),
                ContentType = contentType, Size = file.Length, UploaderId = me.Id, CreatedAt = write.Now,
            };
            db.Add(attachment);
            db.Remove(new PendingUpload { StorageKey = key });
            task.AttachmentCount++;
            var dto = AttachmentDto.From(attachment);
            write.Record(BoardEventTypes.AttachmentAdded, task, [new FieldChange("attachment", null, attachment.FileName)], new EventSubject(Attachment: dto));
            return TypedResults.Created($"/api/attachments/{id}", dto);
        }, ct) ?? await db.EditRefusalAsync(member.BoardId, me.Id, ct);
    }

    /// <summary>Members only, checked on every request; <c>nosniff</c>; a download unless it is a plain image.</summary>
    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Download(
        Guid attachmentId, HttpContext http, CurrentUser me, TaskHubDbContext db, IAttachmentStore store, CancellationToken ct)
    {
        var a = await db.Set<Attachment>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == attachmentId, ct);
        if (a is null || await db.MembershipAsync(a.BoardId, me.Id, ct) is null) return Problems.NotFound("Attachment");
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "private, no-store";
        var inline = InlineTypes.Contains(a.ContentType);
        var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(a.FileName);
        http.Response.Headers.ContentDisposition = disposition.ToString();
        var content = await store.OpenReadAsync(a.StorageKey, ct);
        return TypedResults.Stream(content, a.ContentType, fileDownloadName: null, enableRangeProcessing: false);
    }

    /// <summary>The uploader, owners and admins. The object goes through the outbox once the removal is committed.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        Guid attachmentId, CurrentUser me, TaskHubDbContext db, BoardStream stream, CancellationToken ct)
    {
        var found = await db.Set<Attachment>().AsNoTracking().SingleOrDefaultAsync(x => x.Id == attachmentId, ct);
        var member = found is null ? null : await db.MembershipAsync(found.BoardId, me.Id, ct);
        if (found is null || member is null) return Problems.NotFound("Attachment");
        if (found.UploaderId != me.Id && !member.CanManageMembers) return Problems.Forbidden("Only its uploader, or a board owner or admin, can delete a file.");

        return await stream.WriteAsync<Results<NoContent, ProblemHttpResult>>(found.BoardId, me.Id, async write =>
        {
            // Again under the board's lock: removed or demoted meanwhile, the caller's deletion must not land after that.
            var now = await db.MembershipAsync(found.BoardId, me.Id, ct);
            if (now is null) return Problems.NotFound("Attachment");
            if (found.UploaderId != me.Id && !now.CanManageMembers) return Problems.Forbidden("Only its uploader, or a board owner or admin, can delete a file.");
            var a = await db.Set<Attachment>().SingleOrDefaultAsync(x => x.Id == attachmentId, ct);
            var task = a is null ? null : await db.Tasks.SingleOrDefaultAsync(t => t.Id == a.TaskId, ct);
            if (a is null || task is null) return Problems.NotFound("Attachment");
            db.Remove(a);
            task.AttachmentCount = Math.Max(0, task.AttachmentCount - 1);
            write.Record(BoardEventTypes.AttachmentRemoved, task, [new FieldChange("attachment", a.FileName, null)], new EventSubject(Attachment: AttachmentDto.From(a)));
            return TypedResults.NoContent();
        }, ct);
    }
}

/// <summary>A stored file's type comes from its first bytes, not from what the upload claimed.</summary>
public static class ContentSniffer
{
    private static readonly (byte[] Magic, int Offset, string Type)[] Signatures =
    [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], 0, "image/png"),
        ([0xFF, 0xD8, 0xFF], 0, "image/jpeg"),
        ("GIF87a"u8.ToArray(), 0, "image/gif"),
        ("GIF89a"u8.ToArray(), 0, "image/gif"),
        ("%PDF-"u8.ToArray(), 0, "application/pdf"),
        ([0x50, 0x4B, 0x03, 0x04], 0, "application/zip"),
        ([0x1F, 0x8B], 0, "application/gzip"),
    ];

    public static async Task<string> SniffAsync(Stream s, CancellationToken ct)
    {
        var head = new byte[4096];
        var n = await s.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        var span = head.AsSpan(0, n);
        foreach (var (magic, offset, type) in Signatures)
            if (span.Length >= offset + magic.Length && span.Slice(offset, magic.Length).SequenceEqual(magic)) return type;
        if (span.Length >= 12 && span[..4].SequenceEqual("RIFF"u8) && span.Slice(8, 4).SequenceEqual("WEBP"u8)) return "image/webp";
        // Text: valid UTF-8 without NUL bytes. (HTML and SVG are text too: stored as text/plain, never rendered.)
        if (!span.Contains((byte)0) && IsUtf8(span)) return "text/plain; charset=utf-8";
        return "application/octet-stream";
    }

    private static bool IsUtf8(ReadOnlySpan<byte> bytes)
    {
        // The sample may end inside a multi-byte character: allow up to 3 trailing bytes to be cut.
        for (var cut = 0; cut <= Math.Min(3, bytes.Length); cut++)
            if (TryDecode(bytes[..^cut])) return true;
        return false;
    }

    private static readonly UTF8Encoding Utf8Strict = new(false, throwOnInvalidBytes: true);

    private static bool TryDecode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            Utf8Strict.GetCharCount(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>File names as people see them, without paths, control characters or characters file systems refuse.</summary>
public static class FileNames
{
    public static string Sanitize(string? name)
    {
        var n = Path.GetFileName((name ?? "").Replace('\\', '/'));
        var clean = new StringBuilder();
        foreach (var c in n.Normalize(NormalizationForm.FormC))
            clean.Append(char.IsControl(c) || "<>:\"/\\|?*".Contains(c) ? '_' : c);
        var result = clean.ToString().Trim().Trim('.').Trim();
        if (result.Length > 200)
        {
            var ext = Path.GetExtension(result);
            if (ext.Length > 20) ext = "";
            result = result[..(200 - ext.Length)] + ext;
        }
        return result.Length == 0 ? "file" : result;
    }
}
