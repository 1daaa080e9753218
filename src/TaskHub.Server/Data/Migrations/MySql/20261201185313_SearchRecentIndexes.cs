using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.MySql
{
    /// <inheritdoc />
    public partial class SearchRecentIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_tasks_BoardId_Id",
                table: "tasks",
                columns: new[] { "BoardId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_comments_BoardId_Id",
                table: "comments",
                columns: new[] { "BoardId", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_tasks_BoardId_Id",
                table: "tasks");

            migrationBuilder.DropIndex(
                name: "IX_comments_BoardId_Id",
                table: "comments");
        }
    }
}
