using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Attachments;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>The S3-compatible server scripts/services.sh starts (s3rver on 127.0.0.1:4569, bucket taskhub-test).</summary>
public static class S3rver
{
    public const int Port = 4569;
    public const string Bucket = "taskhub-test";

    public static AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = $"http://127.0.0.1:{Port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public static async Task<bool> ExistsAsync(string key)
    {
        using var s3 = Client();
        try
        {
            await s3.GetObjectMetadataAsync(Bucket, key);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>A gate in front of s3rver the tests can close (S3 "down").</summary>
    public static void Apply(TaskHubApplication app, SmtpGate gate)
    {
        app.Settings["Attachments:S3Bucket"] = Bucket;
        app.Settings["Attachments:S3ServiceUrl"] = $"http://127.0.0.1:{gate.Port}";
        app.Settings["Attachments:S3AccessKeyId"] = "S3RVER";
        app.Settings["Attachments:S3SecretAccessKey"] = "S3RVER";
        app.Settings["Attachments:MaxBytes"] = (64 * 1024).ToString();
        app.Settings["Outbox:FirstRetrySeconds"] = "0.2";
        app.Settings["Outbox:MaxRetrySeconds"] = "0.5";
    }
}

public sealed class SqliteFilesApplication : SqliteApplication
{
    public SqliteFilesApplication() => Settings["Attachments:MaxBytes"] = (64 * 1024).ToString();
}

public sealed class MariaDbS3Application : MariaDbApplication
{
    public SmtpGate Gate { get; } = new(S3rver.Port);
    public MariaDbS3Application() => S3rver.Apply(this, Gate);
}

public abstract class AttachmentTests(TaskHubApplication app)
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 1, 2, 3];

    protected static async Task<HttpResponseMessage> UploadAsync(TestUser user, Guid task, byte[] bytes, string name, string claimedType = "application/octet-stream")
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(claimedType);
        form.Add(file, "file", name);
        return await user.Client.PostAsync($"/api/tasks/{task}/attachments", form);
    }

    [Fact]
    public async Task AFileIsStoredWithASafeNameASniffedTypeAndDownloadedByMembersOnly()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        var task = (await ada.CreateTaskAsync(board, new { title = "files" })).GetProperty("id").GetGuid();

        var html = "<html><script>alert(1)</script></html>"u8.ToArray();
        var page = await (await UploadAsync(ada, task, html, "../../evil<1>.html", "text/html")).Json(HttpStatusCode.Created);
        Assert.Equal("evil_1_.html", page.GetProperty("fileName").GetString());
        Assert.Equal("text/plain; charset=utf-8", page.GetProperty("contentType").GetString()); // sniffed, not what was claimed
        Assert.Equal(html.Length, page.GetProperty("size").GetInt64());
        var image = await (await UploadAsync(ada, task, Png, "pixel.txt", "text/plain")).Json(HttpStatusCode.Created);
        Assert.Equal("image/png", image.GetProperty("contentType").GetString());

        var download = await vic.Client.GetAsync($"/api/attachments/{page.GetProperty("id").GetGuid()}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(html, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("text/plain", download.Content.Headers.ContentType!.MediaType);
        var shown = await ada.Client.GetAsync($"/api/attachments/{image.GetProperty("id").GetGuid()}");
        Assert.Equal("inline", shown.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(Png, await shown.Content.ReadAsByteArrayAsync());

        Assert.Equal(2, (await ada.Client.GetJson($"/api/tasks/{task}")).GetProperty("attachmentCount").GetInt32());
        Assert.Equal(2, (await vic.Client.GetJson($"/api/tasks/{task}/attachments")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/attachments/{page.GetProperty("id").GetGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/tasks/{task}/attachments")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await UploadAsync(eve, task, html, "x.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await UploadAsync(vic, task, html, "x.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await vic.Client.DeleteAsync($"/api/attachments/{page.GetProperty("id").GetGuid()}")).StatusCode);

        var types = (await ada.Client.GetJson($"/api/boards/{board}/events")).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(2, types.Count(t => t == "AttachmentAdded"));
    }

    [Fact]
    public async Task AFileOverTheLimitIsRefusedWith413AndNothingIsStored()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "big" })).GetProperty("id").GetGuid();
        var seq = await ada.LastSeqAsync(board);
        var response = await UploadAsync(ada, task, new byte[65 * 1024], "big.bin");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        await (await ada.Client.PostAsync($"/api/tasks/{task}/attachments", new MultipartFormDataContent { { new StringContent("x"), "other" } })).AssertFieldError("file");
        Assert.Equal(seq, await ada.LastSeqAsync(board));
        Assert.Equal(0, (await ada.Client.GetJson($"/api/tasks/{task}/attachments")).GetArrayLength());
    }
}

public sealed class AttachmentTestsOnSqlite(SqliteFilesApplication app) : AttachmentTests(app), IClassFixture<SqliteFilesApplication>
{
    [Fact]
    public async Task DeletingATaskRemovesItsFilesFromDiskAfterTheCommit()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
        var id = (await (await UploadAsync(ada, task, "hello"u8.ToArray(), "a.txt")).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var root = Path.Combine(app.Services.GetRequiredService<IHostEnvironment>().ContentRootPath, "data/attachments");
        var file = Path.Combine(root, Attachment.KeyFor(board, task, id));
        Assert.True(File.Exists(file));

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/tasks/{task}")).StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(() => !File.Exists(file)));
    }
}

public sealed class AttachmentTestsOnMariaDbWithS3(MariaDbS3Application app) : AttachmentTests(app), IClassFixture<MariaDbS3Application>
{
    [Fact]
    public async Task FilesGoToS3AndLeaveItThroughTheOutboxEvenWhenS3WasDown()
    {
        app.Gate.Up = true;
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
        var id = (await (await UploadAsync(ada, task, "hello s3"u8.ToArray(), "a.txt")).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var key = Attachment.KeyFor(board, task, id);
        Assert.True(await S3rver.ExistsAsync(key));
        Assert.Equal("hello s3", await (await ada.Client.GetAsync($"/api/attachments/{id}")).Content.ReadAsStringAsync());

        app.Gate.Up = false;
        try
        {
            Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/tasks/{task}")).StatusCode);
            Assert.True(await LiveBoard.EventuallyAsync(() => OutboxAsync(m => m.Key.StartsWith("attachments:") && m.Attempts >= 2)));
            Assert.True(await S3rver.ExistsAsync(key)); // S3 down: the object waits, the outbox retries
        }
        finally
        {
            app.Gate.Up = true;
        }
        Assert.True(await LiveBoard.EventuallyAsync(async () => !await S3rver.ExistsAsync(key), 20));
    }

    [Fact]
    public async Task DeletingABoardRemovesAllItsFiles()
    {
        app.Gate.Up = true;
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var task = (await ada.CreateTaskAsync(board, new { title = $"t{i}" })).GetProperty("id").GetGuid();
            var id = (await (await UploadAsync(ada, task, "x"u8.ToArray(), $"{i}.txt")).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
            keys.Add(Attachment.KeyFor(board, task, id));
        }
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}")).StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(async () =>
        {
            foreach (var k in keys)
                if (await S3rver.ExistsAsync(k)) return false;
            return true;
        }, 20));
    }

    [Fact]
    public async Task AnUploadThatNeverBecameAnAttachmentIsSweptAfterItsGrace()
    {
        app.Gate.Up = true;
        var key = Attachment.KeyFor(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        using (var s3 = S3rver.Client())
            await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = S3rver.Bucket, Key = key, ContentBody = "orphan", UseChunkEncoding = false });
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            db.Add(new PendingUpload { StorageKey = key, CreatedAt = DateTime.UtcNow - PendingUploadSweeper.Grace - TimeSpan.FromMinutes(1) });
            db.Add(new PendingUpload { StorageKey = key + "-fresh", CreatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        Assert.True(await S3rver.ExistsAsync(key));
        await app.Services.GetRequiredService<PendingUploadSweeper>().SweepAsync(CancellationToken.None);
        Assert.False(await S3rver.ExistsAsync(key));
        await using var check = app.Services.CreateAsyncScope();
        var left = await check.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<PendingUpload>().Select(p => p.StorageKey).ToListAsync();
        Assert.DoesNotContain(key, left);
        Assert.Contains(key + "-fresh", left);
    }

    private async Task<bool> OutboxAsync(Func<TaskHub.Server.Features.Notifications.OutboxMessage, bool> predicate)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<TaskHub.Server.Features.Notifications.OutboxMessage>().AsNoTracking().ToListAsync()).Any(predicate);
    }
}
