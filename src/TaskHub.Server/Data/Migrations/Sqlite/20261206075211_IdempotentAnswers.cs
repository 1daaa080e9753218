using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IdempotentAnswers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "idempotent_answers",
                columns: table => new
                {
                    UserId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Key = table.Column<string>(type: "TEXT", unicode: false, maxLength: 255, nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    Headers = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    Body = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_idempotent_answers", x => new { x.UserId, x.Key });
                    table.ForeignKey(
                        name: "FK_idempotent_answers_idempotent_requests_UserId_Key",
                        columns: x => new { x.UserId, x.Key },
                        principalTable: "idempotent_requests",
                        principalColumns: new[] { "UserId", "Key" },
                        onDelete: ReferentialAction.Cascade);
                });

            // The answers kept so far move to their table (a repeat within their keys' lifetime still hears them).
            // The old columns stay (expand, then contract): the replicas of the version before, still running while the
            // Deployment rolls after this migration, insert and update them (IdempotentAnswersMigrationTests); this
            // version's model no longer has them and leaves them empty, and a later version's migration drops them.
            migrationBuilder.Sql("INSERT INTO idempotent_answers (UserId, `Key`, Status, Headers, Body) SELECT UserId, `Key`, Status, Headers, Body FROM idempotent_requests WHERE Status IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // (The old columns were kept: see Up.) The answers go back into them.
            migrationBuilder.Sql("UPDATE idempotent_requests SET Status = (SELECT a.Status FROM idempotent_answers a WHERE a.UserId = idempotent_requests.UserId AND a.`Key` = idempotent_requests.`Key`), Headers = (SELECT a.Headers FROM idempotent_answers a WHERE a.UserId = idempotent_requests.UserId AND a.`Key` = idempotent_requests.`Key`), Body = (SELECT a.Body FROM idempotent_answers a WHERE a.UserId = idempotent_requests.UserId AND a.`Key` = idempotent_requests.`Key`);");

            migrationBuilder.DropTable(
                name: "idempotent_answers");
        }
    }
}
