using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Activity;

/// <summary>Settings under <c>DynamoDb</c>: present (ServiceUrl or Region) → the change log lives in DynamoDB.</summary>
public sealed class DynamoDbOptions
{
    public const string Section = "DynamoDb";

    /// <summary>An endpoint such as http://127.0.0.1:4567 (dynalite, DynamoDB Local); empty in AWS.</summary>
    public string? ServiceUrl { get; set; }
    public string? Region { get; set; }
    [Required] public string TableName { get; set; } = "taskhub-changes";

    public bool Enabled => !string.IsNullOrWhiteSpace(ServiceUrl) || !string.IsNullOrWhiteSpace(Region);
}

/// <summary>
/// The change log in DynamoDB. One item per board event:
/// <c>pk = "task#{taskId}"</c>, <c>sk = seq</c> (board seqs grow, so a task's history sorts by them), plus
/// <c>gsi1pk = "board#{boardId}"</c>/<c>gsi1sk = seq</c> for a board's log and
/// <c>gsi2pk = "user#{actorId}"</c>/<c>gsi2sk = at</c> for what a person did. Writes are conditional puts
/// (<c>attribute_not_exists(pk)</c>), so a redelivered message changes nothing.
/// </summary>
public sealed class DynamoChangeLog(IAmazonDynamoDB dynamo, IOptions<DynamoDbOptions> options) : IOutboxHandler
{
    private string Table => options.Value.TableName;
    private int _tableReady;

    public string Kind => OutboxKinds.ChangeLog;

    public async Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
    {
        await EnsureTableAsync(ct);
        return await IOutboxHandler.EachAsync(batch, m => PutAsync(JsonSerializer.Deserialize<BoardEventDto>(m.Payload, TaskHubJson.Options)!, ct));
    }

    public async Task PutAsync(BoardEventDto e, CancellationToken ct)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            // A task's history; a board-level change (a label) is kept under its board.
            ["pk"] = new() { S = e.Task is { } task ? $"task#{task.Id}" : $"board-level#{e.BoardId}" },
            ["sk"] = new() { N = e.Seq.ToString(CultureInfo.InvariantCulture) },
            ["gsi1pk"] = new() { S = $"board#{e.BoardId}" },
            ["gsi1sk"] = new() { N = e.Seq.ToString(CultureInfo.InvariantCulture) },
            ["gsi2pk"] = new() { S = $"user#{(e.ActorId?.ToString() ?? "system")}" },
            ["gsi2sk"] = new() { S = TaskHubJsonTime(e.At) },
            ["type"] = new() { S = e.Type },
            ["event"] = new() { S = JsonSerializer.Serialize(e, TaskHubJson.Options) },
        };
        try
        {
            await dynamo.PutItemAsync(new PutItemRequest { TableName = Table, Item = item, ConditionExpression = "attribute_not_exists(pk)" }, ct);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already logged by an earlier delivery of the same message: nothing to do.
        }
    }

    /// <summary>A task's history, newest first.</summary>
    public async Task<List<BoardEventDto>> TaskHistoryAsync(Guid taskId, int limit, CancellationToken ct)
    {
        await EnsureTableAsync(ct);
        var result = new List<BoardEventDto>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = Table,
                KeyConditionExpression = "pk = :pk",
                ExpressionAttributeValues = new() { [":pk"] = new AttributeValue { S = $"task#{taskId}" } },
                ScanIndexForward = false,
                ExclusiveStartKey = start,
                Limit = limit - result.Count,
            }, ct);
            result.AddRange(page.Items.Select(i => JsonSerializer.Deserialize<BoardEventDto>(i["event"].S, TaskHubJson.Options)!));
            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        } while (start is not null && result.Count < limit);
        return result;
    }

    /// <summary>Creates the table (on-demand capacity) when it does not exist yet.</summary>
    public async Task EnsureTableAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _tableReady) == 1) return;
        try
        {
            await dynamo.DescribeTableAsync(Table, ct);
        }
        catch (ResourceNotFoundException)
        {
            try
            {
                await dynamo.CreateTableAsync(new CreateTableRequest
                {
                    TableName = Table,
                    BillingMode = BillingMode.PAY_PER_REQUEST,
                    AttributeDefinitions =
                    [
                        new("pk", ScalarAttributeType.S), new("sk", ScalarAttributeType.N),
                        new("gsi1pk", ScalarAttributeType.S), new("gsi1sk", ScalarAttributeType.N),
                        new("gsi2pk", ScalarAttributeType.S), new("gsi2sk", ScalarAttributeType.S),
                    ],
                    KeySchema = [new("pk", KeyType.HASH), new("sk", KeyType.RANGE)],
                    GlobalSecondaryIndexes =
                    [
                        new() { IndexName = "by-board", KeySchema = [new("gsi1pk", KeyType.HASH), new("gsi1sk", KeyType.RANGE)], Projection = new() { ProjectionType = ProjectionType.ALL } },
                        new() { IndexName = "by-actor", KeySchema = [new("gsi2pk", KeyType.HASH), new("gsi2sk", KeyType.RANGE)], Projection = new() { ProjectionType = ProjectionType.ALL } },
                    ],
                }, ct);
            }
            catch (ResourceInUseException)
            {
                // Another replica created it first.
            }
            for (var i = 0; i < 60; i++)
            {
                var status = (await dynamo.DescribeTableAsync(Table, ct)).Table.TableStatus;
                if (status == TableStatus.ACTIVE) break;
                await Task.Delay(500, ct);
            }
        }
        Volatile.Write(ref _tableReady, 1);
    }

    private static string TaskHubJsonTime(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
