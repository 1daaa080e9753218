using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace TaskHub.Server.Data;

// Used only by `dotnet ef migrations add … --context <X>`; never at run time.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteTaskHubDbContext>
{
    public SqliteTaskHubDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteTaskHubDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class MySqlDesignTimeFactory : IDesignTimeDbContextFactory<MySqlTaskHubDbContext>
{
    public MySqlTaskHubDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<MySqlTaskHubDbContext>()
            .UseMySql("Server=127.0.0.1;Database=taskhub", ServerVersion.Parse(new DatabaseOptions().MySqlServerVersion))
            .Options);
}
