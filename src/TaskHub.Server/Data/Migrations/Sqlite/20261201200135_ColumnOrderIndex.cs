using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ColumnOrderIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // (created before the old one goes: MariaDB's foreign key on BoardId needs an index at every moment)
            migrationBuilder.CreateIndex(
                name: "IX_tasks_BoardId_Status_ArchivedAt_Position",
                table: "tasks",
                columns: new[] { "BoardId", "Status", "ArchivedAt", "Position" });

            migrationBuilder.DropIndex(
                name: "IX_tasks_BoardId_Status",
                table: "tasks");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // (created before the old one goes: MariaDB's foreign key on BoardId needs an index at every moment)
            migrationBuilder.CreateIndex(
                name: "IX_tasks_BoardId_Status",
                table: "tasks",
                columns: new[] { "BoardId", "Status" });

            migrationBuilder.DropIndex(
                name: "IX_tasks_BoardId_Status_ArchivedAt_Position",
                table: "tasks");
        }
    }
}
