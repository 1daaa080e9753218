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
    /// <summary>Incremented on every change of the task's own fields; exposed as the ETag and checked against If-Match.
    /// (Its place in the column, its comment and checklist counts do not count: see <see cref="Unversioned"/>.)</summary>
    public int Version { get; set; } = 1;
    /// <summary>Its place in its column: columns are ordered by byte-wise comparison of positions, ties by id.</summary>
    public string Position { get; set; } = "";
    /// <summary>The board labels on the task, as comma-separated ids (at most <see cref="TaskRules.LabelsMax"/>).</summary>
    public string LabelIds { get; set; } = "";
    public int CommentCount { get; set; }
    public int ChecklistDone { get; set; }
    public int ChecklistTotal { get; set; }
    public int AttachmentCount { get; set; }
    public DateTime? ArchivedAt { get; set; }
    /// <summary>When the system (the escalation job) last raised the priority; cleared when a person sets the priority.</summary>
    public DateTime? EscalatedAt { get; set; }

    /// <summary>Properties whose change does not make someone else's edit of the task stale.</summary>
    public static readonly IReadOnlySet<string> Unversioned = new HashSet<string>
        { nameof(Position), nameof(CommentCount), nameof(ChecklistDone), nameof(ChecklistTotal), nameof(AttachmentCount), nameof(UpdatedAt) };

    public IReadOnlyList<Guid> Labels => LabelIds.Length == 0 ? [] : LabelIds.Split(',').Select(Guid.Parse).ToList();
    public Board Board { get; set; } = null!;
}

public static class TaskRules
{
    public const int TitleMax = 200;
    public const int DescriptionMax = 10_000;
    public const int LabelsMax = 20;
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
        // A column in its order: the bottom of a column (a creation's position) is one index step, not a sort of the
        // whole column; the board's and the column's own filters use its prefix.
        b.HasIndex(t => new { t.BoardId, t.Status, t.ArchivedAt, t.Position });
        b.HasIndex(t => new { t.AssigneeId, t.Status });
        b.HasIndex(t => t.DueAt);
        b.Property(t => t.Position).HasMaxLength(Positions.Longest + 8).IsUnicode(false);
        b.Property(t => t.LabelIds).HasMaxLength(TaskRules.LabelsMax * 37).IsUnicode(false);
    }
}
