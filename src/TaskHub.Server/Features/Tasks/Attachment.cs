using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Features.Auth;

namespace TaskHub.Server.Features.Tasks;

/// <summary>A file on a task. Its bytes live in the attachment store (a folder or S3) under <see cref="StorageKey"/>.</summary>
public sealed class Attachment
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TaskId { get; set; }
    public Guid BoardId { get; set; }
    public required string FileName { get; set; }
    /// <summary>Sniffed from the bytes, never taken from the upload.</summary>
    public required string ContentType { get; set; }
    public long Size { get; set; }
    public Guid? UploaderId { get; set; }
    public DateTime CreatedAt { get; set; }

    public string StorageKey => KeyFor(BoardId, TaskId, Id);

    /// <summary>Keys nest board / task / attachment, so a task's or a board's files go by prefix.</summary>
    public static string KeyFor(Guid boardId, Guid taskId, Guid id) => $"{TaskPrefix(boardId, taskId)}{id:N}";
    public static string TaskPrefix(Guid boardId, Guid taskId) => $"{BoardPrefix(boardId)}tasks/{taskId:N}/";
    public static string BoardPrefix(Guid boardId) => $"boards/{boardId:N}/";
}

/// <summary>An upload in flight: written before the bytes go to the store, removed with the attachment's row in one
/// transaction. One left behind (a crash, a refused change) tells the sweeper which object to delete.</summary>
public sealed class PendingUpload
{
    public required string StorageKey { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed record AttachmentDto(Guid Id, Guid TaskId, string FileName, string ContentType, long Size, Guid? UploaderId, DateTime CreatedAt)
{
    public static AttachmentDto From(Attachment a) => new(a.Id, a.TaskId, a.FileName, a.ContentType, a.Size, a.UploaderId, a.CreatedAt);
}

internal sealed class AttachmentConfiguration : IEntityTypeConfiguration<Attachment>
{
    public void Configure(EntityTypeBuilder<Attachment> b)
    {
        b.ToTable("attachments");
        b.Property(a => a.FileName).HasMaxLength(200);
        b.Property(a => a.ContentType).HasMaxLength(100);
        b.Ignore(a => a.StorageKey);
        b.HasIndex(a => a.TaskId);
        b.HasOne<TaskItem>().WithMany().HasForeignKey(a => a.TaskId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(a => a.UploaderId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class PendingUploadConfiguration : IEntityTypeConfiguration<PendingUpload>
{
    public void Configure(EntityTypeBuilder<PendingUpload> b)
    {
        b.ToTable("pending_uploads");
        b.HasKey(p => p.StorageKey);
        b.Property(p => p.StorageKey).HasMaxLength(200);
        b.HasIndex(p => p.CreatedAt);
    }
}
