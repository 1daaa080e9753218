// The client's API and event types: aliases of the types generated from the server's OpenAPI document
// (web/openapi.json → src/api/schema.d.ts by openapi-typescript, run by `npm run build` / `npm run gen:api`).
// Nothing here restates a field list by hand, so a server change that the client does not follow fails `tsc`.
import type { components } from './schema';

type Schemas = components['schemas'];

/**
 * What the server writes. ASP.NET Core reads numbers from strings too (JsonNumberHandling.AllowReadingFromString),
 * so the document types every integer as `number | string`; it always *writes* JSON numbers. Wire<T> drops the
 * `string` from those unions (only where `number` is a member), recursively.
 */
export type Wire<T> =
  number extends T ? Exclude<T, string>
  : T extends readonly (infer U)[] ? Wire<U>[]
  : T extends object ? { [K in keyof T]: Wire<T[K]> }
  : T;

export type Task = Wire<Schemas['TaskDto']>;
export type Status = Schemas['TaskState'];
export type Priority = Schemas['TaskPriority'];
export type Role = Schemas['BoardRole'];
export type Board = Wire<Schemas['BoardDto']>;
export type Member = Wire<Schemas['MemberDto']>;
export type User = Wire<Schemas['UserDto']>;
export type AuthResponse = Wire<Schemas['AuthResponse']>;
export type LoginResponse = Wire<Schemas['LoginResponse']>;
export type Session = Wire<Schemas['SessionDto']>;
export type OidcProvider = Wire<Schemas['OidcProviderDto']>;
/** How people sign in here (GET /api/auth/config): passwords on or off ("SSO only"), and the providers. */
export type AuthConfig = Wire<Schemas['AuthConfigDto']>;
export type NotificationSettings = Wire<Schemas['NotificationSettingsDto']>;
export type Digest = Schemas['DigestCadence'];
/** An inbox item (GET /api/me/notifications, and the hub's NotificationAdded). */
export type Notification = Wire<Schemas['NotificationDto']>;
export type NotificationLevel = NonNullable<Schemas['NotificationLevel']>;
export type BoardNotificationSettings = Wire<Schemas['BoardNotificationSettingsDto']>;
export type Report = Wire<Schemas['ProgressReport']>;
/** A board's trends (GET /api/boards/{id}/reports/trends): burn-up per week/month, cycle times, overdue per assignee. */
export type Trends = Wire<Schemas['TrendReport']>;
export type TrendRange = '8w' | '6m';
export type Change = Schemas['FieldChange'];
/** A comment: `bodyHtml` is rendered (and sanitised) by the server. */
export type Comment = Wire<Schemas['CommentDto']>;
export type ChecklistItem = Wire<Schemas['ChecklistItemDto']>;
export type Label = Wire<Schemas['LabelDto']>;
/** The server's label palette (LabelDto.color is one of these; the document types it as a string). */
export const LABEL_COLORS = ['red', 'orange', 'green', 'teal', 'blue', 'indigo', 'purple', 'pink', 'gray'] as const;
export type LabelColor = (typeof LABEL_COLORS)[number];
/** A PATCH /api/tasks/{id} body: leave a field out to keep it, null clears it. */
export type TaskPatch = Schemas['UpdateTaskRequest'];
export type TaskCreate = Schemas['CreateTaskRequest'];
export type UpdateMe = Schemas['UpdateMeRequest'];
/** A file on a task (POST/GET /api/tasks/{id}/attachments; the bytes at GET /api/attachments/{id}). */
export type Attachment = Wire<Schemas['AttachmentDto']>;
/** A quick-find hit: `snippet` is server-encoded HTML whose only tags are <mark>. */
export type SearchHit = Wire<Schemas['SearchHit']>;
export type Invitation = Wire<Schemas['InvitationDto']>;
export type InvitationPreview = Wire<Schemas['InvitationPreview']>;
export type ApiToken = Wire<Schemas['ApiTokenDto']>;
/** The answer to creating a token: the only time `token` is shown. */
export type CreatedApiToken = Wire<Schemas['CreatedApiTokenDto']>;
export type TokenScope = Schemas['TokenScope'];
/** A board's webhook; `lastDelivery.status` is the receiver's HTTP status (null: no answer). */
export type Webhook = Wire<Schemas['WebhookDto']>;
export type WebhookFormat = Schemas['WebhookFormat'];
export type WebhookDelivery = Omit<Wire<Schemas['WebhookDeliveryDto']>, 'status'> & { status: WebhookDeliveryState | (string & {}) };
/** A delivery's state in GET /api/webhooks/{id}/deliveries (a plain string in the document). */
export type WebhookDeliveryState = 'delivered' | 'retrying' | 'pending' | 'failed';
/** One Trello list in an import preview: the column (`status`) the server would put its cards in. */
export type TrelloList = Wire<Schemas['TrelloListMapping']>;
export type ImportedBoard = Wire<Schemas['ImportedBoardDto']>;

/**
 * The board log's event types (server: BoardEventTypes). The document types BoardEventDto.type as a plain
 * string (the server's record has `string Type`), so the names are listed here and compared exactly.
 */
export const BOARD_EVENT_TYPES = [
  'TaskCreated', 'TaskUpdated', 'TaskDeleted', 'TaskMoved', 'CommentAdded', 'CommentEdited', 'CommentDeleted',
  'ChecklistItemAdded', 'ChecklistItemChanged', 'ChecklistItemDeleted', 'LabelsChanged', 'AttachmentAdded', 'AttachmentRemoved',
  'ColumnRespread', 'BoardRenamed',
] as const;
export type BoardEventType = (typeof BOARD_EVENT_TYPES)[number];
export type BoardEvent = Omit<Wire<Schemas['BoardEventDto']>, 'type'> & { type: BoardEventType | (string & {}) };
/** GET /api/tasks/{id}/activity returns the task's board events. */
export type ActivityItem = BoardEvent;

// Hub-only messages: SignalR client methods are not part of the OpenAPI document.
export interface PresenceUser { userId: string; displayName: string }
export interface PresenceChanged { boardId: string; users: PresenceUser[] }
export interface BoardHead { boardId: string; seq: number }
export interface BoardAccessRevoked { boardId: string }
/** A replica asks this connection to move and keeps serving it a while: open a new one within `moveWithinMs` (src/hub.ts).
 *  `reason`: it is stopping, or it holds more than its share of the connections; the client does the same either way. */
export interface ServerStopping { moveWithinMs: number; reason?: 'stopping' | 'rebalancing' }
/**
 * A delta event: what a connection that asked for them (`/hubs/board?events=delta`, docs/api.md) gets instead of a
 * TaskUpdated / TaskMoved (the changed fields, the new version, the card's place when it may have moved) or a
 * TaskDeleted (the id only). Every other event, TaskCreated included, comes in the full shape (BoardEvent).
 * `updatedAt` only when it is not `at`; `status` and `position` come when status, position or archivedAt changed; `completedAt` with a status change,
 * `escalatedAt` with a priority change (null included).
 */
export interface TaskDelta {
  boardId: string; seq: number; type: BoardEventType | (string & {}); taskId: string; actorId: string | null; at: string;
  version?: number; updatedAt?: string; changes?: { field: string; to: string | null }[];
  status?: Status; position?: string; completedAt?: string | null; escalatedAt?: string | null;
}
/** What the hub sends for a board event: the full shape or, for a task's change or deletion, a delta. */
export type WireEvent = BoardEvent | TaskDelta;
