namespace TaskHub.Server.Features.Auth;

/// <summary>
/// Takes part when sessions or API tokens of a person end (Realtime closes their open hub connections at once, on every
/// replica). Called after the commit; a failure is logged and ends nothing: each replica's access sweep
/// (<c>HubAccessSweep</c>, every head tick) closes them all the same.
/// </summary>
public interface ISessionEndHandler
{
    Task SessionsEndedAsync(Guid userId);
}

/// <summary>
/// Tells every <see cref="ISessionEndHandler"/> that sessions or API tokens of a person ended: signed out, a session
/// revoked, every other session signed out, a password changed or reset, a refresh token replayed, an API token revoked,
/// the account deleted. What ended is read from the database by the handler, so it is told only who.
/// </summary>
public sealed partial class SessionEnds(IEnumerable<ISessionEndHandler> handlers, ILogger<SessionEnds> log)
{
    public async Task EndedAsync(Guid userId)
    {
        foreach (var handler in handlers)
        {
            try { await handler.SessionsEndedAsync(userId); }
            catch (Exception e) { LogHandlerFailed(log, e, userId); }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended sessions of {UserId} were not closed at once; the access sweep closes them")]
    private static partial void LogHandlerFailed(ILogger logger, Exception e, Guid userId);
}
