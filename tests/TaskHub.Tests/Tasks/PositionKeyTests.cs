using TaskHub.Server.Features.Tasks;
using Xunit;

namespace TaskHub.Tests.Tasks;

/// <summary>The position keys a column gets when cards are added at its bottom (every creation does that).</summary>
public sealed class PositionKeyTests
{
    [Fact]
    public void KeysAddedAtTheBottomStayOrderedAndShortAsTheColumnGrows()
    {
        // 20,000 cards at the bottom: stepping a new digit whenever the key was all "z" made the keys grow linearly
        // (162 characters after 13,500; MariaDB's column holds 208).
        var last = Positions.Between(null, null);
        for (var i = 0; i < 20_000; i++)
        {
            var next = Positions.Between(last, null);
            Assert.True(string.CompareOrdinal(next, last) > 0, $"'{next}' does not come after '{last}'");
            Assert.NotEqual('0', next[^1]);
            last = next;
        }
        Assert.InRange(last.Length, 1, 8);
    }

    [Theory]
    [InlineData("V3x", "W")]
    [InlineData("z", "z1")]
    [InlineData("zV3z", "zV41")]
    [InlineData("zz", "zz01")]
    public void AKeyAfterTheLastStepsItsFirstDigitThenCountsUp(string before, string expected) =>
        Assert.Equal(expected, Positions.Between(before, null));

    [Fact]
    public void AKeyBetweenTwoBottomKeysStillFitsBetweenThem()
    {
        var a = Positions.Between("zz", null);
        var b = Positions.Between(a, null);
        var mid = Positions.Between(a, b);
        Assert.True(string.CompareOrdinal(a, mid) < 0 && string.CompareOrdinal(mid, b) < 0);
    }
}
