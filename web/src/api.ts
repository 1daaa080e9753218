// REST client: JSON, bearer tokens, refresh-once-on-401 with rotation (single-flight).
import type { Task } from './sync';

export interface User { id: string; email: string; displayName: string; timeZone?: string }
export interface Board { id: string; name: string; role: Role; lastSeq: number; createdAt: string; updatedAt: string }
export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export interface Member { userId: string; email: string; displayName: string; role: Role; joinedAt: string }

export class ApiError extends Error {
  constructor(public status: number, message: string, public fields: Record<string, string[]> = {}, public etag: string | null = null) {
    super(message);
  }
}

const KEY = 'taskhub.session';
interface Session { accessToken: string; refreshToken: string; user: User }
let session: Session | null = load();
const listeners = new Set<() => void>();

function load(): Session | null {
  try { return JSON.parse(localStorage.getItem(KEY) ?? 'null'); } catch { return null; }
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
        const body = await r.json();
        save({ accessToken: body.accessToken, refreshToken: body.refreshToken, user: body.user ?? session!.user });
        return true;
      } catch { return false; } finally { setTimeout(() => { refreshing = null; }, 0); }
    })();
  }
  return refreshing;
}

export async function accessToken(): Promise<string> {
  if (session && tokenExpiresSoon(session.accessToken)) await refresh();
  return session?.accessToken ?? '';
}
function tokenExpiresSoon(jwt: string): boolean {
  try {
    const p = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof p.exp === 'number' && p.exp * 1000 - Date.now() < 30_000;
  } catch { return false; }
}

export interface Resp<T> { data: T; headers: Headers }

export async function request<T>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, retried = false): Promise<Resp<T>> {
  const h: Record<string, string> = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (session) h.Authorization = `Bearer ${session.accessToken}`;
  const r = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status === 401 && session && !retried && !url.startsWith('/api/auth/')) {
    if (await refresh()) return request<T>(method, url, body, headers, true);
  }
  if (!r.ok) {
    let msg = r.statusText || `HTTP ${r.status}`;
    let fields: Record<string, string[]> = {};
    try {
      const p = await r.json();
      fields = p.errors ?? {};
      const first = Object.values(fields)[0]?.[0];
      msg = first ?? p.detail ?? p.title ?? msg;
    } catch { /* no body */ }
    if (r.status === 401 && !url.startsWith('/api/auth/')) save(null);
    throw new ApiError(r.status, msg, fields, r.headers.get('ETag'));
  }
  const text = r.status === 204 ? '' : await r.text();
  return { data: (text ? JSON.parse(text) : undefined) as T, headers: r.headers };
}
const get = async <T,>(url: string) => (await request<T>('GET', url)).data;

export const api = {
  async register(email: string, password: string, displayName: string) {
    await request('POST', '/api/auth/register', { email, password, displayName });
    return api.login(email, password);
  },
  async login(email: string, password: string) {
    const { data } = await request<{ accessToken: string; refreshToken: string; user: User }>('POST', '/api/auth/login', { email, password });
    save({ accessToken: data.accessToken, refreshToken: data.refreshToken, user: data.user });
    return data.user;
  },
  async logout() {
    const s = session;
    if (s) { try { await request('POST', '/api/auth/logout', { refreshToken: s.refreshToken }); } catch { /* ignore */ } }
    save(null);
  },
  clearSession() { save(null); },
  me: () => get<User>('/api/me'),
  updateMe: (body: { displayName?: string; timeZone?: string; currentPassword?: string; newPassword?: string }) => request<User>('PATCH', '/api/me', body).then(r => r.data),
  deleteMe: (password: string) => request('DELETE', '/api/me', { password }),
  notifications: () => get<{ emailOnChange: boolean; digest: string; reminderLeadHours: number }>('/api/me/notification-settings'),
  saveNotifications: (b: { emailOnChange: boolean; digest: string; reminderLeadHours: number }) => request('PUT', '/api/me/notification-settings', b),
  myTasks: () => get<Task[]>('/api/me/tasks'),
  boards: () => get<Board[]>('/api/boards'),
  board: (id: string) => get<Board>(`/api/boards/${id}`),
  createBoard: (name: string) => request<Board>('POST', '/api/boards', { name }).then(r => r.data),
  members: (id: string) => get<Member[]>(`/api/boards/${id}/members`),
  addMember: (id: string, email: string, role: Role) => request<Member>('POST', `/api/boards/${id}/members`, { email, role }).then(r => r.data),
  setRole: (id: string, userId: string, role: Role) => request<Member>('PATCH', `/api/boards/${id}/members/${userId}`, { role }).then(r => r.data),
  removeMember: (id: string, userId: string) => request('DELETE', `/api/boards/${id}/members/${userId}`),
  async tasks(boardId: string): Promise<{ tasks: Task[]; seq: number }> {
    const r = await request<Task[]>('GET', `/api/boards/${boardId}/tasks`);
    return { tasks: r.data, seq: Number(r.headers.get('X-Board-Seq') ?? 0) };
  },
  createTask: (boardId: string, body: Partial<Task>) => request<Task>('POST', `/api/boards/${boardId}/tasks`, body).then(r => r.data),
  patchTask: (id: string, body: Partial<Task>, version: number) => request<Task>('PATCH', `/api/tasks/${id}`, body, { 'If-Match': `"${version}"` }).then(r => r.data),
  getTask: (id: string) => get<Task>(`/api/tasks/${id}`),
  deleteTask: (id: string) => request('DELETE', `/api/tasks/${id}`),
  activity: (id: string) => get<ActivityItem[]>(`/api/tasks/${id}/activity`),
  events: (boardId: string, after: number) => get<import('./sync').BoardEvent[]>(`/api/boards/${boardId}/events?after=${after}`),
  report: (boardId: string, period: string, date: string) => get<Report>(`/api/boards/${boardId}/reports?period=${period}&date=${date}`),
};

export interface ActivityItem { seq?: number; type: string; actorId: string | null; actorName?: string; changes: { field: string; from: unknown; to: unknown }[]; at: string }
export interface Report {
  period: string; from: string; to: string; timeZone: string; created: number; completed: number; overdue: number; open: number;
  completionRate: number; medianCycleTimeHours: number | null;
  perAssignee: { userId: string; displayName: string; created: number; completed: number; open: number; overdue: number }[];
}

/** The fields the server accepts on a task write (unknown fields are rejected). */
export function taskWriteBody(t: Partial<Task>): Partial<Task> {
  const out: Partial<Task> = {};
  for (const k of ['title', 'description', 'status', 'priority', 'dueAt', 'assigneeId', 'supervisorId'] as const) {
    if (k in t) (out as Record<string, unknown>)[k] = t[k];
  }
  return out;
}
