namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// Fractional positions: keys over the digits 0-9A-Za-z (ascending in ASCII, so byte-wise string order is key
/// order), with a key strictly between any two, so a move rewrites one row. (The idea of the npm package
/// fractional-indexing, written small.) Appending after the last card counts up (<see cref="After"/>) and
/// inserting before the first steps one digit down, so a column that grows at its ends keeps short keys; inserting between two neighbours takes their
/// midpoint. Generated keys never end in the lowest digit, so there is always room between two of them.
/// </summary>
public static class Positions
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int Base = 62;
    /// <summary>Past this length a column is re-spread (rare: hundreds of inserts into one gap).</summary>
    public const int Longest = 200;

    private static int Digit(char c) =>
        Digits.IndexOf(c) is var d and >= 0 ? d : throw new ArgumentException($"'{c}' is not a position digit.");

    /// <summary>A key after <paramref name="before"/> and before <paramref name="after"/> (null: no bound on that side).</summary>
    public static string Between(string? before, string? after)
    {
        if (string.IsNullOrEmpty(before)) before = null;
        if (string.IsNullOrEmpty(after)) after = null;
        if (before is not null && after is not null && string.CompareOrdinal(before, after) >= 0)
            throw new ArgumentException($"'{before}' is not before '{after}'.");
        if (before is null && after is null) return "V";
        if (after is null) return After(before!);
        if (before is null)
        {
            // Step down the first digit that can shrink without reaching the lowest: "V" → "U", "1V" → "1U".
            for (var i = 0; i < after.Length; i++)
                if (Digit(after[i]) >= 2) return after[..i] + Digits[Digit(after[i]) - 1];
        }
        return Midpoint(before ?? "", after);
    }

    /// <summary>
    /// A key after <paramref name="before"/> with nothing after it (a new card at the bottom). Up to "z" it steps the
    /// first digit ("V3x" → "W"): one-character keys. From "z" on it counts up as a fixed-width number ("z1" … "zz",
    /// "zz01" … "zzzz", "zzzz0001" …) and widens to twice its length only when it is all "z", so a column that grows
    /// at the bottom gets keys whose length grows with the logarithm of its size (8 characters after 15 million), not
    /// linearly (stepping one new digit each time the key was all "z" gave 162 characters after 13,500 cards, and a
    /// column of ~17,000 would have outgrown the database column).
    /// </summary>
    private static string After(string before)
    {
        if (Digit(before[0]) < Base - 1) return Digits[Digit(before[0]) + 1].ToString();
        var digits = before.ToCharArray();
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = Digit(digits[i]);
            if (d == Base - 1) continue;
            digits[i] = Digits[d + 1];
            for (var j = i + 1; j < digits.Length; j++) digits[j] = Digits[0];
            if (digits[^1] == Digits[0]) digits[^1] = Digits[1]; // keys never end in the lowest digit
            return new string(digits);
        }
        return before + new string(Digits[0], before.Length - 1) + Digits[1];
    }

    private static string Midpoint(string before, string after)
    {
        var key = new System.Text.StringBuilder();
        var bounded = true;
        for (var i = 0; ; i++)
        {
            var low = i < before.Length ? Digit(before[i]) : 0;
            var high = bounded && i < after.Length ? Digit(after[i]) : Base;
            if (low == high)
            {
                key.Append(Digits[low]);
                continue;
            }
            var mid = (low + high) / 2;
            if (mid > low) return key.Append(Digits[mid]).ToString();
            // high == low + 1: keep low here; whatever follows stays below the upper bound.
            key.Append(Digits[low]);
            bounded = false;
        }
    }

    /// <summary>Short, evenly spread keys for <paramref name="count"/> items in order (a column re-spread).</summary>
    public static List<string> Spread(int count)
    {
        var width = 1;
        while (Math.Pow(Base, width) < (count + 1) * 4.0) width++;
        var space = Math.Pow(Base, width);
        var keys = new List<string>(count);
        for (var i = 1; i <= count; i++)
        {
            var n = (long)(space * i / (count + 1));
            var chars = new char[width];
            for (var p = width - 1; p >= 0; p--, n /= Base) chars[p] = Digits[(int)(n % Base)];
            var key = new string(chars);
            keys.Add(key[^1] == Digits[0] ? key + Digits[1] : key);
        }
        return keys;
    }
}
