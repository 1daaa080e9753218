// REST client: JSON, bearer tokens, refresh-once-on-401 with rotation (single-flight).
// Request and response types come from the OpenAPI document (./schema.d.ts, generated) through ./types.
import type { paths } from './schema';
import type { Attachment, AuthResponse, ImportedBoard, TrelloList, BoardEvent, ChecklistItem, Comment, Label, LoginResponse, Notification, Role, Status, Task, TaskCreate, TaskPatch, TokenScope, User, Webhook, WebhookFormat, Wire } from './types';

export class ApiError extends Error {
  /** `retryAfter`: the response's Retry-After in seconds (a 409 for a write with the same Idempotency-Key still running).
   * `current`: what a 412 says the thing is now (a label's, checklist item's, comment's or board's edit that came too late). */
  constructor(public status: number, message: string, public fields: Record<string, string[]> = {}, public etag: string | null = null,
    public retryAfter: number | null = null, public current: unknown = null) {
    super(message);
  }
}

const KEY = 'taskhub.session';
// hubToken: the short token the hub takes in its URL (absent in a session stored before the server issued one).
interface Session { accessToken: string; refreshToken: string; hubToken?: string; user: User }
let session: Session | null = load();
const listeners = new Set<() => void>();

function load(): Session | null {
  try { return JSON.parse(localStorage.getItem(KEY) ?? 'null'); } catch { return null; } // unreadable: log in again
}
function save(s: Session | null) {
  session = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s)); else localStorage.removeItem(KEY);
  listeners.forEach(l => l());
}
export function currentUser(): User | null { return session?.user ?? null; }
export function onSessionChange(l: () => void): () => void { listeners.add(l); return () => listeners.delete(l); }
export function setUser(u: User) { if (session) save({ ...session, user: { ...session.user, ...u } }); }

let refreshing: Promise<boolean> | null = null;
async function refresh(): Promise<boolean> {
  if (!session) return false;
  if (!refreshing) {
    const rt = session.refreshToken;
    refreshing = (async () => {
      try {
        const r = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refreshToken: rt }) });
        if (!r.ok) { save(null); return false; }
        const body = (await r.json()) as AuthResponse;
        save({ accessToken: body.accessToken, refreshToken: body.refreshToken, hubToken: body.hubToken, user: body.user ?? session!.user });
        return true;
      } catch { return false; } finally { setTimeout(() => { refreshing = null; }, 0); } // unreachable: the request reports its 401
    })();
  }
  return refreshing;
}

export async function accessToken(): Promise<string> {
  if (session && tokenExpiresSoon(session.accessToken)) await refresh();
  return session?.accessToken ?? '';
}
/** The token for the hub's URL: the short hub token (same session and expiry as the access token), else the access token. */
export async function hubToken(): Promise<string> {
  const access = await accessToken();
  return session?.hubToken ?? access;
}
function tokenExpiresSoon(jwt: string): boolean {
  try {
    const p = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof p.exp === 'number' && p.exp * 1000 - Date.now() < 30_000;
  } catch { return false; } // not a JWT we can read: let the server decide
}

export interface Resp<T> { data: T; headers: Headers }

export async function request<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, retried = false, signal?: AbortSignal): Promise<Resp<T>> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (session) h.Authorization = `Bearer ${session.accessToken}`;
  const r = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (r.status === 401 && session && !retried && !url.startsWith('/api/auth/')) {
    if (await refresh()) return request<T>(method, url, body, headers, true, signal);
  }
  if (!r.ok) {
    if (r.status === 401 && !url.startsWith('/api/auth/')) save(null);
    throw problem(r.status, r.statusText, await r.text().catch(() => ''), r.headers.get('ETag'), retryAfterOf(r.headers.get('Retry-After')));
  }
  const text = r.status === 204 ? '' : await r.text();
  return { data: (text ? JSON.parse(text) : undefined) as T, headers: r.headers };
}

/** A fresh Idempotency-Key (crypto.randomUUID exists only on https and localhost; getRandomValues everywhere). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
}

/** The waits (ms) before each repeat of a write sent with an Idempotency-Key: about 4 s in all. */
export const REPEAT_DELAYS = [250, 1000, 2500];

/** How long one attempt of a keyed write may take before it counts as lost (a half-open connection, a stuck replica):
 * it is then sent again with its key, and the writes to the same thing queued behind it (`inOrder`) are not held. */
export const ATTEMPT_TIMEOUT_MS = 30_000;

/** Whether a write's answer was lost or not given yet, so that sending it again with its key is what to do. */
function answerLost(e: unknown): boolean {
  if (e instanceof TypeError) return true; // fetch: the network failed (a reset connection, a replica that stopped)
  if (e instanceof DOMException && e.name === 'TimeoutError') return true; // the attempt's own timeout
  if (!(e instanceof ApiError)) return false; // (an AbortError: the caller gave up)
  return e.status === 502 || e.status === 503 || e.status === 504 || (e.status === 409 && e.retryAfter !== null);
}

/**
 * Sends a board write (a creation, a move, an edit, a deletion) with an Idempotency-Key, and sends it again with the
 * same key when its answer was lost (the network failed, the load balancer answered 502–504) or the server is still
 * running it (409 with Retry-After). The server applies it once and answers a repeat with the first answer, so a task is
 * never created twice and the user's click is not lost either. Any other error is the caller's, at once.
 */
export async function requestOnce<T>(method: string, url: string, body?: unknown, delays: readonly number[] = REPEAT_DELAYS,
  sleep: (ms: number) => Promise<void> = pause, headers: Record<string, string> = {}): Promise<Resp<T>> {
  const key = newIdempotencyKey();
  return untilAnswered(() => request<T>(method, url, body, { ...headers, 'Idempotency-Key': key }, false, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)), delays, sleep);
}

const pause = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Runs `send` (a write with its key) again after each of `delays` while its answer was lost (`answerLost`), waiting
 * at least what a 409's Retry-After asks (at most 5 s); not once `signal` has aborted. */
async function untilAnswered<T>(send: () => Promise<T>, delays: readonly number[], sleep: (ms: number) => Promise<void>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (signal?.aborted || !answerLost(e) || attempt >= delays.length) throw e;
      const asked = e instanceof ApiError && e.retryAfter !== null ? Math.min(e.retryAfter, 5) * 1000 : 0;
      await untilAborted(sleep(Math.max(delays[attempt], asked)), signal);
    }
  }
}

/** A Retry-After header in seconds, or null when there is none (or it is a date). */
function retryAfterOf(header: string | null): number | null {
  const after = Number(header ?? NaN);
  return Number.isFinite(after) ? after : null;
}

/** What an upload the user cancelled rejects with. */
const cancelled = () => new DOMException('The upload was cancelled.', 'AbortError');

/** `wait`, cut short with an AbortError when `signal` aborts (a cancel during a repeat's wait is at once). */
function untilAborted(wait: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return wait;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<void>((resolve, reject) => {
    const abort = () => reject(cancelled());
    signal.addEventListener('abort', abort, { once: true });
    wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** The problem type of a 409 for a write applied once whose answer was not kept (server: IdempotencyKeys.NotKeptType). */
const ANSWER_NOT_KEPT = 'urn:taskhub:problem:idempotency-answer-not-kept';

/** A problem+json body (or none) → ApiError: the first field message, else detail, else title. */
export function problem(status: number, statusText: string, text: string, etag: string | null = null, retryAfter: number | null = null): ApiError {
  let msg = statusText || `HTTP ${status}`;
  let fields: Record<string, string[]> = {};
  let current: unknown = null;
  try {
    const p = JSON.parse(text);
    fields = p.errors ?? {};
    const first = Object.values(fields)[0]?.[0];
    msg = first ?? p.detail ?? p.title ?? msg;
    current = p.current ?? null;
    // A repeat of a write the server applied once but whose answer it could not keep (its replica stopped at that
    // moment): say it was saved, so nobody sends it again under a new key (the live board shows it already).
    if (p.type === ANSWER_NOT_KEPT) msg = 'It was saved, but its answer was lost on the way back. Reload the page to see it.';
  } catch { /* no JSON body: the status text says it */ }
  return new ApiError(status, msg, fields, etag, retryAfter, current);
}

/** Upload progress: bytes sent of the total (total 0 when the browser cannot tell). */
export interface Progress { loaded: number; total: number }

/**
 * A multipart/form-data body (RFC 7578) built once, with a boundary of its own: the file as field `file`, then
 * `fields`. An upload sent again is then the same bytes, so the server finds its Idempotency-Key with the same request
 * (a FormData takes a new boundary on each send). Names are quoted as browsers quote them ('"', CR and LF
 * percent-encoded).
 */
export function formBody(file: File, fields: Record<string, string> = {}): { body: Blob; contentType: string } {
  const boundary = `----TaskHubForm${newIdempotencyKey().replace(/-/g, '')}`;
  const quoted = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const parts: BlobPart[] = [
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted(file.name)}"\r\n`
      + `Content-Type: ${file.type || 'application/octet-stream'}\r\n\r\n`, file, '\r\n'];
  for (const [name, value] of Object.entries(fields))
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value.replace(/\r\n|\r|\n/g, '\r\n')}\r\n`);
  parts.push(`--${boundary}--\r\n`);
  return { body: new Blob(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * POSTs a file as multipart field `file` (and `fields`) with XMLHttpRequest, whose upload events report progress (fetch
 * does not). Bearer token as for every call, refreshed once on a 401. `once` (attachments, imports): sent with an
 * Idempotency-Key, and sent again with it, the same bytes, when the answer was lost (as `requestOnce`; no attempt
 * timeout: a large file may take long) — the server stores the file once. Rejects with ApiError (413: over the
 * server's limit), TypeError when the server cannot be reached, or DOMException AbortError when `signal` aborts.
 */
export async function uploadFile<T>(url: string, file: File, onProgress: (p: Progress) => void, signal?: AbortSignal,
  fields: Record<string, string> = {}, once = true, delays: readonly number[] = REPEAT_DELAYS, sleep = pause): Promise<T> {
  const form = formBody(file, fields);
  if (!once) return sendForm<T>(url, form, null, onProgress, signal);
  const key = newIdempotencyKey();
  return untilAnswered(() => sendForm<T>(url, form, key, onProgress, signal), delays, sleep, signal);
}

async function sendForm<T>(url: string, form: { body: Blob; contentType: string }, key: string | null,
  onProgress: (p: Progress) => void, signal?: AbortSignal, retried = false): Promise<T> {
  const token = await accessToken();
  const result = await new Promise<{ status: number; statusText: string; text: string; retryAfter: string | null }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', form.contentType);
    if (key !== null) xhr.setRequestHeader('Idempotency-Key', key);
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = e => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : 0 });
    xhr.onload = () => resolve({ status: xhr.status, statusText: xhr.statusText, text: xhr.responseText, retryAfter: xhr.getResponseHeader('Retry-After') });
    xhr.onerror = () => reject(new TypeError('network error'));
    xhr.onabort = () => reject(cancelled());
    if (signal?.aborted) { reject(cancelled()); return; }
    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort, { once: true });
    xhr.onloadend = () => signal?.removeEventListener('abort', abort);
    xhr.send(form.body);
  });
  if (result.status === 401 && session && !retried && (await refresh())) return sendForm<T>(url, form, key, onProgress, signal, true);
  if (result.status < 200 || result.status >= 300) {
    if (result.status === 401) save(null);
    throw problem(result.status, result.statusText, result.text, null, retryAfterOf(result.retryAfter));
  }
  return JSON.parse(result.text) as T;
}

/** GETs bytes with the bearer token (an <img> or a link cannot send it): for thumbnails, previews and downloads. */
export async function fetchBlob(url: string, retried = false): Promise<Blob> {
  const r = await fetch(url, { headers: { Authorization: `Bearer ${await accessToken()}` } });
  if (r.status === 401 && session && !retried && (await refresh())) return fetchBlob(url, true);
  if (!r.ok) throw problem(r.status, r.statusText, await r.text().catch(() => ''));
  return r.blob();
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** The JSON body of an endpoint's success response, as the document describes it. */
type Res<P extends keyof paths, M extends Method> =
  Op<P, M> extends { responses: { 200: { content: { 'application/json': infer R } } } } ? Wire<R>
  : Op<P, M> extends { responses: { 201: { content: { 'application/json': infer R } } } } ? Wire<R>
  : void;
/** The JSON request body of an endpoint. */
type Body<P extends keyof paths, M extends Method> =
  Op<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

const get = async <P extends keyof paths>(_path: P, url: string) => (await request<Res<P, 'get'>>('GET', url)).data;
const send = async <P extends keyof paths, M extends Exclude<Method, 'get'>>(method: M, _path: P, url: string, body?: Body<P, M>, headers?: Record<string, string>) =>
  (await request<Res<P, M>>(method.toUpperCase(), url, body, headers)).data;
const writesInFlight = new Map<string, Promise<unknown>>();
/**
 * Runs `send` after the writes to `resource` started before it have settled (repeats included), at once when none is
 * in flight. A repeat of a lost write would otherwise land after a later write to the same thing (tick, the answer lost,
 * untick: the repeated tick last), undoing the user's last action.
 */
function inOrder<T>(resource: string, send: () => Promise<T>): Promise<T> {
  const before = writesInFlight.get(resource);
  const mine = before ? before.then(send, send) : send();
  const settled = mine.then(() => undefined, () => undefined);
  writesInFlight.set(resource, settled);
  void settled.then(() => { if (writesInFlight.get(resource) === settled) writesInFlight.delete(resource); });
  return mine;
}

/** A write the server applies once (it takes an Idempotency-Key): sent again with its key when the answer was lost.
 * Edits and deletions, and a task's moves and archiving (`resource`: the task), go in order per resource. */
const writeOnce = <P extends keyof paths, M extends Exclude<Method, 'get'>>(method: M, _path: P, url: string, body?: Body<P, M>,
  headers?: Record<string, string>, resource: string | null = method === 'post' ? null : url) => {
  const send = async () => (await requestOnce<Res<P, M>>(method.toUpperCase(), url, body, REPEAT_DELAYS, undefined, headers)).data;
  return resource ? inOrder(resource, send) : send();
};
/** The If-Match header of an edit made from `version` (none: the last write wins). */
export const ifMatch = (version?: number): Record<string, string> | undefined => (version === undefined ? undefined : { 'If-Match': `"${version}"` });
const sendOnce = <P extends keyof paths>(path: P, url: string, body?: Body<P, 'post'>) => writeOnce('post', path, url, body);

export type LoginResult = { user: User; mfaToken?: undefined } | { mfaToken: string; user?: undefined };
function finish(data: LoginResponse): LoginResult {
  if (data.mfaRequired && data.mfaToken) return { mfaToken: data.mfaToken };
  if (!data.accessToken || !data.refreshToken || !data.user) throw new ApiError(500, 'The server answered a sign-in without tokens.');
  save({ accessToken: data.accessToken, refreshToken: data.refreshToken, hubToken: data.hubToken ?? undefined, user: data.user });
  return { user: data.user };
}

export const api = {
  /** `timeZone`: an IANA id (the server answers 400 with errors.timeZone for one it does not know). */
  async register(email: string, password: string, displayName: string, timeZone?: string) {
    await send('post', '/api/auth/register', '/api/auth/register', timeZone ? { email, password, displayName, timeZone } : { email, password, displayName });
    return api.login(email, password);
  },
  /** A user (signed in), or an `mfaToken` when two-factor sign-in asks for a code first. */
  async login(email: string, password: string): Promise<LoginResult> {
    return finish(await send('post', '/api/auth/login', '/api/auth/login', { email, password }));
  },
  async login2fa(mfaToken: string, second: { code: string } | { recoveryCode: string }) {
    const data = await send('post', '/api/auth/login/2fa', '/api/auth/login/2fa', { mfaToken, ...second });
    save({ accessToken: data.accessToken, refreshToken: data.refreshToken, hubToken: data.hubToken ?? undefined, user: data.user });
    return data.user;
  },
  forgot: (email: string) => send('post', '/api/auth/forgot', '/api/auth/forgot', { email }),
  reset: (token: string, newPassword: string) => send('post', '/api/auth/reset', '/api/auth/reset', { token, newPassword }),
  providers: () => get('/api/auth/providers', '/api/auth/providers'),
  authConfig: () => get('/api/auth/config', '/api/auth/config'),
  async oidcExchange(code: string): Promise<LoginResult> {
    return finish(await send('post', '/api/auth/oidc/exchange', '/api/auth/oidc/exchange', { code }));
  },
  async oidcLink(code: string, password: string): Promise<LoginResult> {
    return finish(await send('post', '/api/auth/oidc/link', '/api/auth/oidc/link', { code, password }));
  },
  sessions: () => get('/api/me/sessions', '/api/me/sessions'),
  revokeSession: (id: string) => send('delete', '/api/me/sessions/{sessionId}', `/api/me/sessions/${id}`),
  revokeOtherSessions: () => send('post', '/api/me/sessions/revoke-others', '/api/me/sessions/revoke-others'),
  twoFactorSetup: () => send('post', '/api/me/2fa/setup', '/api/me/2fa/setup'),
  twoFactorEnable: (code: string) => send('post', '/api/me/2fa/enable', '/api/me/2fa/enable', { code }),
  twoFactorDisable: (password: string, code: string) => send('post', '/api/me/2fa/disable', '/api/me/2fa/disable', { password, code }),
  /** Ends the session on the server; the local session is cleared whatever the server says (the caller is told). */
  async logout() {
    const s = session;
    try {
      if (s) await send('post', '/api/auth/logout', '/api/auth/logout', { refreshToken: s.refreshToken });
    } finally { save(null); }
  },
  clearSession() { save(null); },
  me: () => get('/api/me', '/api/me'),
  updateMe: (body: Body<'/api/me', 'patch'>) => send('patch', '/api/me', '/api/me', body),
  deleteMe: (password: string) => send('delete', '/api/me', '/api/me', { password }),
  notifications: () => get('/api/me/notification-settings', '/api/me/notification-settings'),
  saveNotifications: (b: Body<'/api/me/notification-settings', 'put'>) => send('put', '/api/me/notification-settings', '/api/me/notification-settings', b),
  async inbox(before?: string): Promise<{ items: Notification[]; unread: number }> {
    const url = before ? `/api/me/notifications?before=${encodeURIComponent(before)}` : '/api/me/notifications';
    const r = await request<Res<'/api/me/notifications', 'get'>>('GET', url);
    return { items: r.data, unread: Number(r.headers.get('X-Unread-Count') ?? 0) };
  },
  markRead: (b: Body<'/api/me/notifications/read', 'post'>) => send('post', '/api/me/notifications/read', '/api/me/notifications/read', b),
  boardNotifications: (id: string) => get('/api/boards/{boardId}/notification-settings', `/api/boards/${id}/notification-settings`),
  saveBoardNotifications: (id: string, b: Body<'/api/boards/{boardId}/notification-settings', 'put'>) =>
    send('put', '/api/boards/{boardId}/notification-settings', `/api/boards/${id}/notification-settings`, b),
  myTasks: () => get('/api/me/tasks', '/api/me/tasks'),
  boards: () => get('/api/boards', '/api/boards'),
  board: (id: string) => get('/api/boards/{boardId}', `/api/boards/${id}`),
  createBoard: (name: string) => sendOnce('/api/boards', '/api/boards', { name }),
  members: (id: string) => get('/api/boards/{boardId}/members', `/api/boards/${id}/members`),
  addMember: (id: string, email: string, role: Role) => sendOnce('/api/boards/{boardId}/members', `/api/boards/${id}/members`, { email, role }),
  setRole: (id: string, userId: string, role: Role) => writeOnce('patch', '/api/boards/{boardId}/members/{userId}', `/api/boards/${id}/members/${userId}`, { role }),
  removeMember: (id: string, userId: string) => writeOnce('delete', '/api/boards/{boardId}/members/{userId}', `/api/boards/${id}/members/${userId}`),
  async tasks(boardId: string): Promise<{ tasks: Task[]; seq: number }> {
    const r = await request<Res<'/api/boards/{boardId}/tasks', 'get'>>('GET', `/api/boards/${boardId}/tasks`);
    return { tasks: r.data, seq: Number(r.headers.get('X-Board-Seq') ?? 0) };
  },
  createTask: (boardId: string, body: TaskCreate) => sendOnce('/api/boards/{boardId}/tasks', `/api/boards/${boardId}/tasks`, body),
  patchTask: (id: string, body: TaskPatch, version: number) => writeOnce('patch', '/api/tasks/{taskId}', `/api/tasks/${id}`, body, ifMatch(version)),
  getTask: (id: string) => get('/api/tasks/{taskId}', `/api/tasks/${id}`),
  deleteTask: (id: string) => writeOnce('delete', '/api/tasks/{taskId}', `/api/tasks/${id}`),
  /** Puts the task in `status` right after `afterId` (null: at the top). A move does not bump the version. */
  moveTask: (id: string, status: Status, afterId: string | null) =>
    writeOnce('post', '/api/tasks/{taskId}/move', `/api/tasks/${id}/move`, { status, afterId }, undefined, `/api/tasks/${id}`),
  archiveTask: (id: string) => writeOnce('post', '/api/tasks/{taskId}/archive', `/api/tasks/${id}/archive`, undefined, undefined, `/api/tasks/${id}`),
  unarchiveTask: (id: string) => writeOnce('post', '/api/tasks/{taskId}/unarchive', `/api/tasks/${id}/unarchive`, undefined, undefined, `/api/tasks/${id}`),
  archivedTasks: (boardId: string): Promise<Task[]> => get('/api/boards/{boardId}/tasks', `/api/boards/${boardId}/tasks?archived=true`),
  comments: (taskId: string): Promise<Comment[]> => get('/api/tasks/{taskId}/comments', `/api/tasks/${taskId}/comments`),
  addComment: (taskId: string, body: string): Promise<Comment> => sendOnce('/api/tasks/{taskId}/comments', `/api/tasks/${taskId}/comments`, { body }),
  /** `version`: the comment's the edit started from (a 412 when it was edited since, e.g. in another tab). */
  editComment: (id: string, body: string, version?: number): Promise<Comment> => writeOnce('patch', '/api/comments/{commentId}', `/api/comments/${id}`, { body }, ifMatch(version)),
  deleteComment: (id: string) => writeOnce('delete', '/api/comments/{commentId}', `/api/comments/${id}`),
  checklist: (taskId: string): Promise<ChecklistItem[]> => get('/api/tasks/{taskId}/checklist', `/api/tasks/${taskId}/checklist`),
  addChecklistItem: (taskId: string, text: string): Promise<ChecklistItem> => sendOnce('/api/tasks/{taskId}/checklist', `/api/tasks/${taskId}/checklist`, { text }),
  /** `afterId`: null puts the item at the top; leave it out to keep its place. `version`: the item's the edit started from. */
  changeChecklistItem: (id: string, body: { text?: string; done?: boolean; afterId?: string | null }, version?: number): Promise<ChecklistItem> =>
    writeOnce('patch', '/api/checklist-items/{itemId}', `/api/checklist-items/${id}`, body, ifMatch(version)),
  deleteChecklistItem: (id: string) => writeOnce('delete', '/api/checklist-items/{itemId}', `/api/checklist-items/${id}`),
  labels: (boardId: string): Promise<Label[]> => get('/api/boards/{boardId}/labels', `/api/boards/${boardId}/labels`),
  createLabel: (boardId: string, name: string, color: string): Promise<Label> => sendOnce('/api/boards/{boardId}/labels', `/api/boards/${boardId}/labels`, { name, color }),
  changeLabel: (id: string, body: { name?: string; color?: string }, version?: number): Promise<Label> =>
    writeOnce('patch', '/api/labels/{labelId}', `/api/labels/${id}`, body, ifMatch(version)),
  deleteLabel: (id: string) => writeOnce('delete', '/api/labels/{labelId}', `/api/labels/${id}`),
  activity: (id: string): Promise<BoardEvent[]> => get('/api/tasks/{taskId}/activity', `/api/tasks/${id}/activity`),
  events: (boardId: string, after: number): Promise<BoardEvent[]> => get('/api/boards/{boardId}/events', `/api/boards/${boardId}/events?after=${after}`),
  attachments: (taskId: string) => get('/api/tasks/{taskId}/attachments', `/api/tasks/${taskId}/attachments`),
  upload: (taskId: string, file: File, onProgress: (p: Progress) => void, signal?: AbortSignal) =>
    uploadFile<Attachment>(`/api/tasks/${taskId}/attachments`, file, onProgress, signal),
  attachmentBlob: (id: string) => fetchBlob(`/api/attachments/${id}`),
  deleteAttachment: (id: string) => writeOnce('delete', '/api/attachments/{attachmentId}', `/api/attachments/${id}`),
  search: (q: string, signal?: AbortSignal, boardId?: string, limit = 20) =>
    request<Res<'/api/search', 'get'>>('GET', `/api/search?q=${encodeURIComponent(q)}&limit=${limit}${boardId ? `&boardId=${boardId}` : ''}`, undefined, {}, false, signal).then(r => r.data),
  renameBoard: (id: string, name: string, version?: number) => writeOnce('patch', '/api/boards/{boardId}', `/api/boards/${id}`, { name }, ifMatch(version)),
  deleteBoard: (id: string) => writeOnce('delete', '/api/boards/{boardId}', `/api/boards/${id}`),
  invitations: (boardId: string) => get('/api/boards/{boardId}/invitations', `/api/boards/${boardId}/invitations`),
  invite: (boardId: string, email: string, role: Role) => sendOnce('/api/boards/{boardId}/invitations', `/api/boards/${boardId}/invitations`, { email, role }),
  revokeInvitation: (id: string) => writeOnce('delete', '/api/invitations/{invitationId}', `/api/invitations/${id}`),
  previewInvitation: (token: string) => send('post', '/api/invitations/preview', '/api/invitations/preview', { token }),
  acceptInvitation: (token: string) => send('post', '/api/invitations/accept', '/api/invitations/accept', { token }),
  tokens: () => get('/api/me/tokens', '/api/me/tokens'),
  createToken: (name: string, scope: TokenScope, expiresAt: string | null) => send('post', '/api/me/tokens', '/api/me/tokens', { name, scope, expiresAt }),
  revokeToken: (id: string) => send('delete', '/api/me/tokens/{tokenId}', `/api/me/tokens/${id}`),
  webhooks: (boardId: string) => get('/api/boards/{boardId}/webhooks', `/api/boards/${boardId}/webhooks`),
  createWebhook: (boardId: string, body: { url: string; secret: string; format: WebhookFormat; events: string[] | null }): Promise<Webhook> =>
    sendOnce('/api/boards/{boardId}/webhooks', `/api/boards/${boardId}/webhooks`, body),
  changeWebhook: (id: string, body: { url?: string; events?: string[] | null; secret?: string; format?: WebhookFormat; active?: boolean }): Promise<Webhook> =>
    writeOnce('patch', '/api/webhooks/{webhookId}', `/api/webhooks/${id}`, body),
  deleteWebhook: (id: string) => writeOnce('delete', '/api/webhooks/{webhookId}', `/api/webhooks/${id}`),
  testWebhook: (id: string) => send('post', '/api/webhooks/{webhookId}/test', `/api/webhooks/${id}/test`),
  webhookDeliveries: (id: string) => get('/api/webhooks/{webhookId}/deliveries', `/api/webhooks/${id}/deliveries`),
  exportBoard: (boardId: string, format: 'json' | 'csv') => fetchBlob(`/api/boards/${boardId}/export?format=${format}`),
  trelloPreview: (file: File, onProgress: (p: Progress) => void = () => {}) =>
    uploadFile<TrelloList[]>('/api/imports/trello/preview', file, onProgress, undefined, {}, false), // (a read: no key)
  /** `mapping`: Trello list id → column; lists left out take the server's guess. */
  importTrello: (file: File, mapping: Record<string, Status>, onProgress: (p: Progress) => void, signal?: AbortSignal) =>
    uploadFile<ImportedBoard>('/api/imports/trello', file, onProgress, signal, { mapping: JSON.stringify(mapping) }),
  importTaskHub: (file: File, onProgress: (p: Progress) => void, signal?: AbortSignal) => uploadFile<ImportedBoard>('/api/imports/taskhub', file, onProgress, signal),
  calendar: () => get('/api/me/calendar', '/api/me/calendar'),
  resetCalendar: () => send('post', '/api/me/calendar/reset', '/api/me/calendar/reset'),
  report: (boardId: string, period: string, date: string) => get('/api/boards/{boardId}/reports', `/api/boards/${boardId}/reports?period=${period}&date=${date}`),
  trends: (boardId: string, range: string, date: string) => get('/api/boards/{boardId}/reports/trends', `/api/boards/${boardId}/reports/trends?range=${range}&date=${date}`),
};

/** The fields the server accepts on a task write (unknown fields are rejected). */
export function taskWriteBody(t: Partial<Task>): TaskPatch {
  const out: TaskPatch = {};
  for (const k of ['title', 'description', 'status', 'priority', 'dueAt', 'assigneeId', 'supervisorId', 'labelIds'] as const) {
    if (k in t) (out as Record<string, unknown>)[k] = t[k];
  }
  return out;
}
