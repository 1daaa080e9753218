using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AddEditVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Expand only: every existing label, comment, checklist item and board starts at version 1, as a new one
            // does, and the column keeps that default for rows the version before inserts during the roll (it does
            // not know the column). Its edits leave the version as it is: an If-Match it answers is never stale.
            migrationBuilder.AddColumn<int>(
                name: "Version",
                table: "labels",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "Version",
                table: "comments",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "Version",
                table: "checklist_items",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);

            migrationBuilder.AddColumn<int>(
                name: "Version",
                table: "boards",
                type: "INTEGER",
                nullable: false,
                defaultValue: 1);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Version",
                table: "labels");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "comments");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "checklist_items");

            migrationBuilder.DropColumn(
                name: "Version",
                table: "boards");
        }
    }
}
