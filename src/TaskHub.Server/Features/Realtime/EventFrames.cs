using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR.Protocol;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Board events as the hub messages a connection gets (<see cref="IBoardClient"/>'s methods, in the shape it asked for),
/// serialised back to back into one frame (<see cref="ClusterHubLifetimeManager{THub}.WriteFrameToGroupAsync"/>).
/// </summary>
/// <param name="cache">Each message's bytes by seq, shape and protocol, when several frames share events (a batch of
/// joins catching up, a board's full and delta viewers); null when each event goes into one frame.</param>
internal sealed class EventFrames(ConcurrentDictionary<(long Seq, bool Delta, string Protocol), byte[]>? cache = null)
{
    /// <summary>The hub message a connection of that shape gets for <paramref name="e"/>.</summary>
    private static InvocationMessage Invocation(BoardEventDto e, bool delta) => new(TaskDeltaDto.Method(e), [TaskDeltaDto.Payload(e, delta)]);

    /// <summary>The events (and then the head, when given) as one frame in <paramref name="protocol"/>.</summary>
    public byte[] Write(IHubProtocol protocol, IEnumerable<BoardEventDto> events, bool delta, BoardHeadDto? head = null)
    {
        var w = new ArrayBufferWriter<byte>(1024);
        foreach (var e in events)
        {
            if (cache is null) protocol.WriteMessage(Invocation(e, delta), w);
            else
            {
                var slim = delta && TaskDeltaDto.From(e) is not null; // an event with one shape is written once for both
                w.Write(cache.GetOrAdd((e.Seq, slim, protocol.Name), _ => protocol.GetMessageBytes(Invocation(e, slim)).ToArray()));
            }
        }
        if (head is not null) protocol.WriteMessage(new InvocationMessage(nameof(IBoardClient.BoardHead), [head]), w);
        return w.WrittenSpan.ToArray();
    }
}
