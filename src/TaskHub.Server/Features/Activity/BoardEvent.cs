using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Features.Boards;

namespace TaskHub.Server.Features.Activity;

/// <summary>
/// One change on a board, written in the same transaction as the change itself. (BoardId, Seq) is
/// unique and gap-free per board. The task snapshot and the field changes are stored as JSON.
/// </summary>
public sealed class BoardEvent
{
    public long Id { get; set; }
    public Guid BoardId { get; set; }
    public long Seq { get; set; }
    public required string Type { get; set; }
    public Guid TaskId { get; set; }
    /// <summary>Who made the change; null for the system (jobs).</summary>
    public Guid? ActorId { get; set; }
    public required string TaskJson { get; set; }
    public required string ChangesJson { get; set; }
    public DateTime At { get; set; }
}

internal sealed class BoardEventConfiguration : IEntityTypeConfiguration<BoardEvent>
{
    public void Configure(EntityTypeBuilder<BoardEvent> b)
    {
        b.ToTable("board_events");
        b.HasIndex(e => new { e.BoardId, e.Seq }).IsUnique();
        b.HasIndex(e => new { e.TaskId, e.Seq });
        b.Property(e => e.Type).HasMaxLength(32);
        b.HasOne<Board>().WithMany().HasForeignKey(e => e.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}
