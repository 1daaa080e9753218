using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Attachments;

public static class AttachmentsExtensions
{
    /// <summary>Files on tasks: in S3 when <c>Attachments:S3Bucket</c> is set, else in a folder under <c>data/</c>.</summary>
    public static IHostApplicationBuilder AddTaskHubAttachments(this IHostApplicationBuilder builder)
    {
        var o = builder.AddTaskHubOptions<AttachmentsOptions>(AttachmentsOptions.Section);
        var services = builder.Services;
        if (o.UsesS3)
        {
            services.AddSingleton(sp => S3AttachmentStore.Create(sp.GetRequiredService<IOptions<AttachmentsOptions>>().Value));
            services.AddSingleton<IAttachmentStore, S3AttachmentStore>();
        }
        else
        {
            services.AddSingleton<IAttachmentStore, DiskAttachmentStore>();
        }
        services.AddSingleton(new OutboxConsumer(AttachmentOutboxKinds.Events,
            e => e.Type is TaskHub.Server.Features.Tasks.BoardEventTypes.TaskDeleted or TaskHub.Server.Features.Tasks.BoardEventTypes.AttachmentRemoved));
        services.AddScoped<IOutboxHandler, AttachmentEventsHandler>();
        services.AddScoped<IOutboxHandler, AttachmentPurgeHandler>();
        services.AddScoped<IBoardMembershipHandler, PurgeOnBoardDeletion>();
        services.AddSingleton<PendingUploadSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<PendingUploadSweeper>());
        return builder;
    }
}
