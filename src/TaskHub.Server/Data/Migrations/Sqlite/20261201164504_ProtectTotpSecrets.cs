using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TaskHub.Server.Data.Migrations.Sqlite
{
    /// <summary>
    /// TOTP secrets are stored protected (Data Protection, <c>TotpSecrets</c>): longer values. Secrets already stored in
    /// plain text are not rewritten here (a migration has no key ring): they are still read, and protected the next
    /// time a code for them is accepted.
    /// </summary>
    public partial class ProtectTotpSecrets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {

        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
