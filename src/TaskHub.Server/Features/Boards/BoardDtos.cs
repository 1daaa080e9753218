using System.ComponentModel.DataAnnotations;

namespace TaskHub.Server.Features.Boards;

public sealed record BoardDto(Guid Id, string Name, BoardRole Role, long LastSeq, DateTime CreatedAt, DateTime UpdatedAt, int Version);

public sealed record BoardRequest([property: Required(ErrorMessage = "Name is required."), MaxLength(BoardRules.NameMax)] string Name);

public sealed record MemberDto(Guid UserId, string Email, string DisplayName, BoardRole Role, DateTime JoinedAt);

public sealed record AddMemberRequest(
    [property: Required(ErrorMessage = "Email is required.")] string Email,
    BoardRole Role = BoardRole.Member);

public sealed record ChangeRoleRequest([property: Required(ErrorMessage = "Role is required.")] BoardRole? Role);
