using Microsoft.Diagnostics.Runtime;

/// <summary>
/// Exact per-type live heap from two dumps (ClrMD): the difference ÷ N, bytes and objects per connection.
/// Only objects reachable from roots are counted (a dump also holds garbage the GC has not swept).
/// </summary>
public static class HeapWalk
{
    public static Dictionary<string, (long bytes, long count)> Types(string dumpPath)
    {
        using var target = DataTarget.LoadDump(dumpPath);
        var clr = target.ClrVersions[0];
        // The DAC ships with the shared runtime the dump's process ran on (no symbol server download on Linux).
        // Run this with the same runtime as the server (one machine, one shared runtime).
        var dac = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libmscordaccore.so");
        using var runtime = File.Exists(dac) ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
        var heap = runtime.Heap;
        var marked = new HashSet<ulong>();
        var stack = new Stack<ulong>();
        foreach (var root in heap.EnumerateRoots())
            if (root.Object.Address != 0 && marked.Add(root.Object.Address)) stack.Push(root.Object.Address);
        var result = new Dictionary<string, (long, long)>();
        // MEM_CUT=TypeA;TypeB: objects of these types are neither counted nor followed, so the difference to a walk
        // without it is what only they keep alive (their retained size).
        var cut = (Environment.GetEnvironmentVariable("MEM_CUT") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        while (stack.Count > 0)
        {
            var obj = heap.GetObject(stack.Pop());
            if (!obj.IsValid) continue;
            var name = obj.Type?.Name ?? "?";
            if (cut.Contains(name)) continue;
            var (b, c) = result.GetValueOrDefault(name);
            result[name] = (b + (long)obj.Size, c + 1);
            foreach (var r in obj.EnumerateReferenceAddresses(carefully: true))
                if (r != 0 && marked.Add(r)) { stack.Push(r); if (Parents != null) Parents[r] = obj.Address; }
        }
        return result;
    }

    public static void Diff(string dump0, string dumpN, int n, int rows)
    {
        var a = Types(dump0); var b = Types(dumpN);
        var diff = a.Keys.Union(b.Keys).Select(t =>
        {
            var (ab, ac) = a.GetValueOrDefault(t); var (bb, bc) = b.GetValueOrDefault(t);
            return (type: t, bytes: (bb - ab) / (double)n, count: (bc - ac) / (double)n);
        }).OrderByDescending(r => r.bytes).ToList();
        Console.WriteLine($"live heap: {a.Values.Sum(v => v.bytes) / 1024.0:0} KB → {b.Values.Sum(v => v.bytes) / 1024.0:0} KB; " +
                          $"per connection {diff.Sum(d => d.bytes):0} bytes");
        Console.WriteLine("| type | bytes/conn | objects/conn |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var d in diff.Take(rows)) Console.WriteLine($"| {d.type} | {d.bytes:0} | {d.count:0.00} |");
    }

    /// <summary>MEM_PATHS=&lt;type&gt;: how objects of that type are kept alive (one discovered path each, 8 levels), counted.</summary>
    public static Dictionary<ulong, ulong>? Parents;

    public static void Paths(string dumpPath, string type, int levels = 8)
    {
        Parents = new();
        using var target = DataTarget.LoadDump(dumpPath);
        var clr = target.ClrVersions[0];
        var dac = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libmscordaccore.so");
        using var runtime = clr.CreateRuntime(dac, ignoreMismatch: true);
        Parents = null;
        Types(dumpPath); // fills no parents; recompute below with parents on
        Parents = new();
        Types(dumpPath);
        var heap = runtime.Heap;
        var paths = new Dictionary<string, int>();
        foreach (var o in heap.EnumerateObjects())
        {
            if (o.Type?.Name != type || !Parents.ContainsKey(o.Address) && true) { if (o.Type?.Name != type) continue; }
            var chain = new List<string>();
            var a = o.Address;
            for (var i = 0; i < levels && Parents.TryGetValue(a, out var p); i++) { a = p; chain.Add(heap.GetObject(a).Type?.Name ?? "?"); }
            var key = string.Join(" <- ", chain);
            paths[key] = paths.GetValueOrDefault(key) + 1;
        }
        foreach (var kv in paths.OrderByDescending(kv => kv.Value).Take(8)) Console.WriteLine($"{kv.Value,6}  {kv.Key}");
    }

    /// <summary>Reachable strings grouped by the type that holds them and their length (largest groups first), with
    /// their first characters (a token's, masked): which copies of which text a connection keeps.</summary>
    public static void Strings(string dumpPath, int rows)
    {
        Parents = new();
        Types(dumpPath);
        using var target = DataTarget.LoadDump(dumpPath);
        var clr = target.ClrVersions[0];
        var dac = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libmscordaccore.so");
        using var runtime = clr.CreateRuntime(dac, ignoreMismatch: true);
        var heap = runtime.Heap;
        var groups = new Dictionary<(string holder, int length), (long bytes, int count, string sample)>();
        foreach (var o in heap.EnumerateObjects())
        {
            if (o.Type?.Name != "System.String" || !Parents.TryGetValue(o.Address, out var parent)) continue;
            var holder = heap.GetObject(parent).Type?.Name ?? "?";
            var text = o.AsString(maxLength: 40) ?? "";
            var length = text.Length < 40 ? text.Length : (int)((o.Size - 22) / 2);
            if (text.StartsWith("eyJ", StringComparison.Ordinal)) text = "eyJ… (a JWT)";
            var key = (holder, length);
            var (b, c, sample) = groups.GetValueOrDefault(key, (0, 0, text));
            groups[key] = (b + (long)o.Size, c + 1, sample);
        }
        Console.WriteLine("| holder | ~chars | count | bytes | sample |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        foreach (var g in groups.OrderByDescending(g => g.Value.bytes).Take(rows))
            Console.WriteLine($"| {g.Key.holder} | {g.Key.length} | {g.Value.count} | {g.Value.bytes} | {g.Value.sample.Replace('|', '/')} |");
    }

    public static void Dump(int pid, string path) =>
        new Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient(pid).WriteDump(
            Microsoft.Diagnostics.NETCore.Client.DumpType.WithHeap, path, logDumpGeneration: false);
}
