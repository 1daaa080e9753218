using System.ComponentModel.DataAnnotations;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace TaskHub.Server.Features.Attachments;

/// <summary>Settings under <c>Attachments</c>: the size limit and where files are kept.</summary>
public sealed class AttachmentsOptions
{
    public const string Section = "Attachments";

    [Range(1, 5L * 1024 * 1024 * 1024)] public long MaxBytes { get; set; } = 25 * 1024 * 1024;
    /// <summary>The folder for files when there is no S3 bucket (relative to the content root).</summary>
    [Required] public string Directory { get; set; } = "data/attachments";
    /// <summary>Set → files go to this S3 bucket.</summary>
    public string? S3Bucket { get; set; }
    /// <summary>An S3-compatible endpoint (s3rver, MinIO); empty in AWS.</summary>
    public string? S3ServiceUrl { get; set; }
    public string? S3Region { get; set; }
    /// <summary>Only for a local endpoint; in AWS the SDK's credential chain applies.</summary>
    public string? S3AccessKeyId { get; set; }
    public string? S3SecretAccessKey { get; set; }

    public bool UsesS3 => !string.IsNullOrWhiteSpace(S3Bucket);
}

/// <summary>Where attachment bytes live. Streams in and out: a file is never held whole in memory.</summary>
public interface IAttachmentStore
{
    Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken ct);
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);
    Task DeleteAsync(string key, CancellationToken ct);
    /// <summary>Deletes every object whose key starts with <paramref name="prefix"/> (a task's or a board's files).</summary>
    Task DeletePrefixAsync(string prefix, CancellationToken ct);
}

/// <summary>A folder under the content root (the embedded mode).</summary>
public sealed class DiskAttachmentStore(IOptions<AttachmentsOptions> options, IHostEnvironment env) : IAttachmentStore
{
    private string Root => Path.GetFullPath(Path.Combine(env.ContentRootPath, options.Value.Directory));

    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(Root, key));
        if (!path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ArgumentException("Bad storage key.");
        return path;
    }

    public async Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken ct)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".partial";
        await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            await content.CopyToAsync(file, ct);
        File.Move(temp, path, overwrite: true);
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct) =>
        Task.FromResult<Stream>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true));

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        var dir = PathOf(prefix.TrimEnd('/'));
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>Amazon S3 (or an S3-compatible server): streamed puts and gets, deletes by prefix in pages of 1,000.</summary>
public sealed class S3AttachmentStore(IAmazonS3 s3, IOptions<AttachmentsOptions> options) : IAttachmentStore
{
    private string Bucket => options.Value.S3Bucket!;

    public Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken ct) =>
        s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket, Key = key, InputStream = content, ContentType = contentType, AutoCloseStream = false,
            // A plain (not aws-chunked) body: the SDK signs it by reading the seekable stream, not by buffering it.
            UseChunkEncoding = false,
            Headers = { ContentLength = length },
        }, ct);

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct) =>
        (await s3.GetObjectAsync(Bucket, key, ct)).ResponseStream;

    public Task DeleteAsync(string key, CancellationToken ct) => s3.DeleteObjectAsync(Bucket, key, ct);

    public async Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        while (true)
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, MaxKeys = 1000 }, ct);
            var keys = page.S3Objects ?? [];
            if (keys.Count == 0) return;
            foreach (var o in keys) await s3.DeleteObjectAsync(Bucket, o.Key, ct);
        }
    }

    public static IAmazonS3 Create(AttachmentsOptions o)
    {
        var config = new AmazonS3Config
        {
            // Only the checksums S3 requires: an S3-compatible test server does not read trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromMinutes(5),
        };
        if (!string.IsNullOrWhiteSpace(o.S3ServiceUrl))
        {
            config.ServiceURL = o.S3ServiceUrl;
            config.ForcePathStyle = true;
            config.AuthenticationRegion = string.IsNullOrWhiteSpace(o.S3Region) ? "us-east-1" : o.S3Region;
        }
        else if (!string.IsNullOrWhiteSpace(o.S3Region))
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(o.S3Region);
        }
        return string.IsNullOrWhiteSpace(o.S3AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(o.S3AccessKeyId, o.S3SecretAccessKey), config);
    }
}
