using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;

namespace TaskHub.Server.Features.Tasks;

public enum TaskState { Todo, InProgress, Done }

public enum TaskPriority { Low, Medium, High, Urgent }

/// <summary>A task on a board. (Named TaskItem so it never collides with System.Threading.Tasks.Task.)</summary>
public sealed class TaskItem : IAuditable
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BoardId { get; set; }
    public required string Title { get; set; }
    public string? Description { get; set; }
    public TaskState Status { get; set; }
    public TaskPriority Priority { get; set; } = TaskPriority.Medium;
    public DateTime? DueAt { get; set; }
    public Guid? AssigneeId { get; set; }
    public Guid? SupervisorId { get; set; }
    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    /// <summary>Incremented on every change; exposed as the ETag and checked against If-Match.</summary>
    public int Version { get; set; } = 1;
    public Board Board { get; set; } = null!;
}

public static class TaskRules
{
    public const int TitleMax = 200;
    public const int DescriptionMax = 10_000;
}

internal sealed class TaskItemConfiguration : IEntityTypeConfiguration<TaskItem>
{
    public void Configure(EntityTypeBuilder<TaskItem> b)
    {
        b.ToTable("tasks");
        b.Property(t => t.Title).HasMaxLength(TaskRules.TitleMax);
        b.Property(t => t.Description).HasMaxLength(TaskRules.DescriptionMax);
        b.Property(t => t.Status).HasConversion<string>().HasMaxLength(16);
        b.Property(t => t.Priority).HasConversion<string>().HasMaxLength(16);
        b.Property(t => t.Version).IsConcurrencyToken();
        b.HasOne(t => t.Board).WithMany().HasForeignKey(t => t.BoardId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(t => t.AssigneeId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<User>().WithMany().HasForeignKey(t => t.SupervisorId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<User>().WithMany().HasForeignKey(t => t.CreatedById).OnDelete(DeleteBehavior.SetNull);
        b.HasIndex(t => new { t.BoardId, t.Status });
        b.HasIndex(t => new { t.AssigneeId, t.Status });
        b.HasIndex(t => t.DueAt);
    }
}
