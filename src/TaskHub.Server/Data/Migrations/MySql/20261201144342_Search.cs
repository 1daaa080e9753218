using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.MySql
{
    /// <inheritdoc />
    public partial class Search : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_tasks_Title",
                table: "tasks",
                column: "Title")
                .Annotation("MySql:FullTextIndex", true);

            migrationBuilder.CreateIndex(
                name: "IX_tasks_Title_Description",
                table: "tasks",
                columns: new[] { "Title", "Description" })
                .Annotation("MySql:FullTextIndex", true);

            migrationBuilder.CreateIndex(
                name: "IX_comments_Body",
                table: "comments",
                column: "Body")
                .Annotation("MySql:FullTextIndex", true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_tasks_Title",
                table: "tasks");

            migrationBuilder.DropIndex(
                name: "IX_tasks_Title_Description",
                table: "tasks");

            migrationBuilder.DropIndex(
                name: "IX_comments_Body",
                table: "comments");
        }
    }
}
