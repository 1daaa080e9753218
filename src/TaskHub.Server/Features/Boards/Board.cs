using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;

namespace TaskHub.Server.Features.Boards;

public enum BoardRole { Owner, Admin, Member, Viewer }

public sealed class Board : IAuditable
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    /// <summary>The seq of the board's latest event. Incremented inside each change's transaction
    /// (the row lock serialises writers of one board), so seq is gap-free and never repeats.</summary>
    public long LastSeq { get; set; }
    /// <summary>1 when created, +1 on each rename: the <c>ETag</c> of its PATCH, checked against <c>If-Match</c>.</summary>
    public int Version { get; set; } = 1;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public List<BoardMember> Members { get; set; } = [];
}

public sealed class BoardMember
{
    public Guid BoardId { get; set; }
    public Guid UserId { get; set; }
    public BoardRole Role { get; set; }
    public DateTime JoinedAt { get; set; }
    public Board Board { get; set; } = null!;
    public User User { get; set; } = null!;

    public bool CanEditTasks => Role != BoardRole.Viewer;
    public bool CanManageMembers => Role is BoardRole.Owner or BoardRole.Admin;
}

public static class BoardRules
{
    public const int NameMax = 100;
}

internal sealed class BoardConfiguration : IEntityTypeConfiguration<Board>
{
    public void Configure(EntityTypeBuilder<Board> b)
    {
        b.ToTable("boards");
        b.Property(x => x.Name).HasMaxLength(BoardRules.NameMax);
        b.Property(x => x.Version).IsConcurrencyToken();
    }
}

internal sealed class BoardMemberConfiguration : IEntityTypeConfiguration<BoardMember>
{
    public void Configure(EntityTypeBuilder<BoardMember> b)
    {
        b.ToTable("board_members");
        b.HasKey(m => new { m.BoardId, m.UserId });
        b.HasIndex(m => m.UserId);
        b.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);
        b.HasOne(m => m.Board).WithMany(x => x.Members).HasForeignKey(m => m.BoardId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
