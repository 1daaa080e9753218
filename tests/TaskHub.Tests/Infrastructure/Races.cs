using System.Collections.Concurrent;
using System.Net;

namespace TaskHub.Tests.Infrastructure;

/// <summary>Counts the rounds of a race test that went bad (a 5xx, a broken invariant), with notes on the first few.</summary>
public sealed class RaceTally(int rounds)
{
    private readonly ConcurrentDictionary<int, bool> _bad = new();
    private readonly ConcurrentBag<string> _notes = [];

    public int BadRounds => _bad.Count;

    public void Fail(int round, string note)
    {
        _bad.TryAdd(round, true);
        _notes.Add($"round {round}: {note}");
    }

    public void AssertNone(string what) =>
        Assert.True(_bad.IsEmpty, $"{what}: {_bad.Count}/{rounds} rounds bad. " + string.Join(" | ", _notes.OrderBy(n => n).Take(6)));
}

/// <summary>What the race tests share: request loops and the check of their answers.</summary>
public static class Races
{
    public static async Task<string> Describe(HttpResponseMessage r)
    {
        var body = await r.Content.ReadAsStringAsync();
        return $"{(int)r.StatusCode} {r.RequestMessage?.Method} {r.RequestMessage?.RequestUri?.AbsolutePath} {body[..Math.Min(body.Length, 200)]}";
    }

    /// <summary>Sends until a response is not <paramref name="ok"/> (at most <paramref name="max"/> times); returns every response.</summary>
    public static async Task<List<HttpResponseMessage>> LoopAsync(Func<int, Task<HttpResponseMessage>> send, HttpStatusCode[] ok, int max = 60)
    {
        var all = new List<HttpResponseMessage>();
        for (var i = 0; i < max; i++)
        {
            var r = await send(i);
            all.Add(r);
            if (!ok.Contains(r.StatusCode)) break;
        }
        return all;
    }

    /// <summary>Deletes the person's account as a person would: sent again while it answers 409 (a board of theirs
    /// created, or a membership added, while it ran), at most ten times more.</summary>
    public static async Task<HttpResponseMessage> DeleteAccountAsync(TestUser user)
    {
        var deleted = await user.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = user.Password });
        for (var retry = 0; retry < 10 && deleted.StatusCode == HttpStatusCode.Conflict; retry++)
            deleted = await user.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = user.Password });
        return deleted;
    }

    /// <summary>Fails the round at the first response whose status is not among <paramref name="allowed"/>.</summary>
    public static async Task CheckAll(RaceTally tally, int round, IEnumerable<HttpResponseMessage> responses, params HttpStatusCode[] allowed)
    {
        foreach (var r in responses)
            if (!allowed.Contains(r.StatusCode)) { tally.Fail(round, await Describe(r)); return; }
    }
}
