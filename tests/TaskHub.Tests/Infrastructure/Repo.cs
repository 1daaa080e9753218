namespace TaskHub.Tests.Infrastructure;

/// <summary>The repository the tests run from.</summary>
public static class Repo
{
    /// <summary>The nearest ancestor of the test binaries that holds TaskHub.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TaskHub.sln"))) return dir.FullName;
        throw new InvalidOperationException("TaskHub.sln not found above " + AppContext.BaseDirectory);
    }
}
