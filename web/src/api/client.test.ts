import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, formBody, newIdempotencyKey, requestOnce, taskWriteBody, uploadFile } from './client';
import { staleCurrent } from '../ui/versionedEdit';

describe('taskWriteBody', () => {
  it('keeps only the fields the server accepts, including explicit nulls', () => {
    const body = taskWriteBody({ id: 'x', version: 3, title: 'T', dueAt: null, status: 'done', createdAt: 'z' } as never);
    expect(body).toEqual({ title: 'T', dueAt: null, status: 'done' });
  });
});

describe('requestOnce', () => {
  type Call = { key: string | null; body: unknown };
  /** A fetch that answers with `answers` in turn (an Error is thrown as the network's failure) and records each call. */
  function fetchAnswering(answers: (Response | Error)[]) {
    const calls: Call[] = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      calls.push({ key: new Headers(init.headers).get('Idempotency-Key'), body: init.body });
      const next = answers.shift();
      if (!next) throw new Error('no more answers');
      if (next instanceof Error) throw next;
      return next;
    });
    return calls;
  }
  const created = () => new Response(JSON.stringify({ id: 't1' }), { status: 201, headers: { 'Content-Type': 'application/json' } });
  const problemOf = (status: number, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify({ title: 'x', detail: `status ${status}` }), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });
  const waits: number[] = [];
  const sleep = async (ms: number) => { waits.push(ms); };
  afterEach(() => { vi.unstubAllGlobals(); waits.length = 0; });

  it('sends a write again with the same key when its answer was lost, and returns the answer', async () => {
    const calls = fetchAnswering([new TypeError('Failed to fetch'), problemOf(502), created()]);
    const r = await requestOnce<{ id: string }>('POST', '/api/boards/b/tasks', { title: 'T' }, [10, 20], sleep);
    expect(r.data).toEqual({ id: 't1' });
    expect(calls).toHaveLength(3);
    expect(calls[0].key).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(new Set(calls.map(c => c.key)).size).toBe(1);
    expect(new Set(calls.map(c => c.body)).size).toBe(1);
    expect(waits).toEqual([10, 20]);
  });

  it('waits as long as a 409 with Retry-After asks (at most 5 s), and takes a new key for each write', async () => {
    const calls = fetchAnswering([problemOf(409, { 'Retry-After': '2' }), created(), created()]);
    await requestOnce('POST', '/api/x', {}, [10], sleep);
    await requestOnce('POST', '/api/x', {}, [10], sleep);
    expect(waits).toEqual([2000]);
    expect(calls[0].key).toBe(calls[1].key);
    expect(calls[2].key).not.toBe(calls[1].key);
  });

  it('does not repeat a refusal or a 409 without Retry-After (already a member, say), and gives up after its last wait', async () => {
    fetchAnswering([problemOf(400)]);
    await expect(requestOnce('POST', '/api/x', {}, [10], sleep)).rejects.toMatchObject({ status: 400 });
    fetchAnswering([problemOf(409)]);
    await expect(requestOnce('POST', '/api/x', {}, [10], sleep)).rejects.toMatchObject({ status: 409 });
    expect(waits).toEqual([]);
    const calls = fetchAnswering([new TypeError('a'), new TypeError('b'), new TypeError('c')]);
    await expect(requestOnce('POST', '/api/x', {}, [10, 20], sleep)).rejects.toBeInstanceOf(TypeError);
    expect(calls).toHaveLength(3);
  });

  it('says a write was saved when the server applied it but could not keep its answer, and does not send it again', async () => {
    const notKept = new Response(JSON.stringify({ type: 'urn:taskhub:problem:idempotency-answer-not-kept', title: 'Conflict', detail: 'The request with this Idempotency-Key was applied, but its answer was not kept.' }),
      { status: 409, headers: { 'Content-Type': 'application/problem+json' } });
    const calls = fetchAnswering([new TypeError('lost'), notKept]);
    await expect(requestOnce('POST', '/api/x', {}, [10, 20], sleep)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/^It was saved/) });
    expect(calls).toHaveLength(2);
  });

  it('sends the board\'s edits and deletions with a key too, again with the same key and the same If-Match', async () => {
    const calls: { method?: string; key: string | null; ifMatch: string | null }[] = [];
    const answers: (Response | Error)[] = [problemOf(502), new Response(JSON.stringify({ id: 't1', version: 4 }), { status: 200, headers: { 'Content-Type': 'application/json' } }),
      new TypeError('reset'), new Response(null, { status: 204 })];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      const h = new Headers(init.headers);
      calls.push({ method: init.method, key: h.get('Idempotency-Key'), ifMatch: h.get('If-Match') });
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
    vi.stubGlobal('setTimeout', (f: () => void) => { f(); return 0; });
    expect(await api.patchTask('t1', { title: 'T' }, 3)).toEqual({ id: 't1', version: 4 });
    await api.deleteTask('t1');
    expect(calls.map(c => c.method)).toEqual(['PATCH', 'PATCH', 'DELETE', 'DELETE']);
    expect(calls[0].key).toBeTruthy();
    expect(calls[1]).toEqual(calls[0]);
    expect(calls[1].ifMatch).toBe('"3"');
    expect(calls[3]).toEqual(calls[2]);
    expect(calls[2].key).not.toBe(calls[0].key);
  });

  it('sends the version an edit of a label, checklist item, comment or board started from as If-Match, none without one, and a 412 says what it is now', async () => {
    const ifMatches: (string | null)[] = [];
    const now = { id: 'l1', boardId: 'b', name: 'Theirs', color: 'red', version: 5 };
    const answers = [...Array(5)].map(() => new Response(JSON.stringify({ id: 'x', version: 2 }), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    answers.push(new Response(JSON.stringify({ title: 'Precondition failed', status: 412, detail: 'The label was changed…', version: 5, current: now }),
      { status: 412, headers: { 'Content-Type': 'application/problem+json', ETag: '"5"' } }));
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => { ifMatches.push(new Headers(init.headers).get('If-Match')); return answers.shift()!; });
    await api.changeLabel('l1', { name: 'Mine' }, 1);
    await api.changeChecklistItem('i1', { text: 'Mine' }, 2);
    await api.editComment('c1', 'Mine', 3);
    await api.renameBoard('b1', 'Mine', 4);
    await api.changeChecklistItem('i1', { done: true }); // a tick: the last write wins
    const stale = await api.changeLabel('l1', { name: 'Mine' }, 1).catch(e => e);
    expect(ifMatches).toEqual(['"1"', '"2"', '"3"', '"4"', null, '"1"']);
    expect(stale).toBeInstanceOf(ApiError);
    expect(staleCurrent(stale)).toEqual(now);
    expect(stale.etag).toBe('"5"');
    expect(staleCurrent(new ApiError(409, 'x'))).toBeNull();
  });

  it('sends a later write to the same thing only once the earlier one, repeats included, has settled', async () => {
    const calls: string[] = [];
    let lose = true;
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      const done = JSON.parse(String(init.body)).done as boolean;
      calls.push(`${url} ${done ? 'tick' : 'untick'}`);
      if (done && lose) { lose = false; throw new TypeError('reset'); } // the tick's answer is lost once
      return new Response(JSON.stringify({ id: 'i', done }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    });
    vi.stubGlobal('setTimeout', (f: () => void) => { f(); return 0; });
    const tick = api.changeChecklistItem('i', { done: true });
    const other = api.changeChecklistItem('j', { done: false }); // another item: not held back
    const untick = api.changeChecklistItem('i', { done: false });
    expect(calls).toEqual(['/api/checklist-items/i tick', '/api/checklist-items/j untick']);
    await Promise.all([tick, other, untick]);
    expect(calls).toEqual(['/api/checklist-items/i tick', '/api/checklist-items/j untick', '/api/checklist-items/i tick', '/api/checklist-items/i untick']);
  });

  it('sends an attempt that timed out again with its key', async () => {
    const calls = fetchAnswering([new DOMException('The operation timed out.', 'TimeoutError'), created()]);
    const r = await requestOnce<{ id: string }>('POST', '/api/x', {}, [10], sleep);
    expect(r.data).toEqual({ id: 't1' });
    expect(calls).toHaveLength(2);
    expect(calls[1].key).toBe(calls[0].key);
  });

  it('makes a key without randomUUID (a page served over plain http on a LAN address)', () => {
    const original = crypto.randomUUID;
    try {
      Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
      expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true });
    }
  });
});

describe('uploadFile', () => {
  type Sent = { headers: Record<string, string>; body: unknown };
  /** An XMLHttpRequest that answers each send with the next of `answers` ('network': its error event; a status with
   * an optional Retry-After) and records what was sent. */
  function xhrAnswering(answers: ('network' | { status: number; retryAfter?: string; text?: string })[]) {
    const sent: Sent[] = [];
    class FakeXhr {
      upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      onabort: (() => void) | null = null;
      status = 0; statusText = ''; responseText = '';
      private headers: Record<string, string> = {};
      private retryAfter: string | null = null;
      open() { /* the URL is the caller's */ }
      setRequestHeader(name: string, value: string) { this.headers[name] = value; }
      getResponseHeader(name: string) { return name === 'Retry-After' ? this.retryAfter : null; }
      abort() { this.onabort?.(); }
      send(body: unknown) {
        sent.push({ headers: { ...this.headers }, body });
        const next = answers.shift();
        queueMicrotask(() => {
          this.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true });
          if (!next || next === 'network') { this.onerror?.(); return; }
          this.status = next.status;
          this.retryAfter = next.retryAfter ?? null;
          this.responseText = next.text ?? JSON.stringify(next.status < 300 ? { id: 'a1' } : { title: 'x', detail: `status ${next.status}` });
          this.onload?.();
        });
      }
    }
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    return sent;
  }
  const waits: number[] = [];
  const sleep = async (ms: number) => { waits.push(ms); };
  afterEach(() => { vi.unstubAllGlobals(); waits.length = 0; });
  const file = () => new File(['meeting notes'], 'notes "final".txt', { type: 'text/plain' });

  it('sends a lost upload again with the same key and the same bytes, boundary included', async () => {
    const sent = xhrAnswering(['network', { status: 502 }, { status: 409, retryAfter: '2' }, { status: 201 }]);
    const progress: number[] = [];
    const r = await uploadFile<{ id: string }>('/api/tasks/t/attachments', file(), p => progress.push(p.loaded), undefined, {}, true, [10, 20, 30], sleep);
    expect(r).toEqual({ id: 'a1' });
    expect(sent).toHaveLength(4);
    expect(sent[0].headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(new Set(sent.map(s => s.headers['Idempotency-Key'])).size).toBe(1);
    expect(new Set(sent.map(s => s.body)).size).toBe(1); // the one Blob, sent each time
    expect(new Set(sent.map(s => s.headers['Content-Type'])).size).toBe(1);
    expect(waits).toEqual([10, 20, 2000]);
    expect(progress).toEqual([5, 5, 5, 5]);
  });

  it('does not repeat a refusal, and a read (the Trello preview) goes without a key', async () => {
    const sent = xhrAnswering([{ status: 413 }]);
    await expect(uploadFile('/api/tasks/t/attachments', file(), () => {}, undefined, {}, true, [10], sleep)).rejects.toMatchObject({ status: 413 });
    expect(sent).toHaveLength(1);
    const read = xhrAnswering(['network']);
    await expect(uploadFile('/api/imports/trello/preview', file(), () => {}, undefined, {}, false, [10], sleep)).rejects.toBeInstanceOf(TypeError);
    expect(read).toHaveLength(1);
    expect(read[0].headers['Idempotency-Key']).toBeUndefined();
  });

  it('stops at once when the user cancels', async () => {
    const sent = xhrAnswering(['network', { status: 201 }]);
    const ctl = new AbortController();
    const never = () => new Promise<void>(() => {}); // (a wait that would not end by itself)
    const cancelled = uploadFile('/api/imports/taskhub', file(), () => {}, ctl.signal, {}, true, [60_000], never);
    await new Promise(resolve => setTimeout(resolve, 5)); // the first attempt has failed, the repeat waits
    ctl.abort(); // the user cancels while the repeat waits: at once, not after the wait
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(sent).toHaveLength(1);
  });

  it('builds a multipart body the server reads as a browser\'s form: the file, then the fields', async () => {
    const { body, contentType } = formBody(file(), { mapping: '{"l1":"done"}', note: 'a\rb\nc' });
    const boundary = contentType.match(/^multipart\/form-data; boundary=(.+)$/)![1];
    expect(await body.text()).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes %22final%22.txt"\r\nContent-Type: text/plain\r\n\r\nmeeting notes\r\n`
      + `--${boundary}\r\nContent-Disposition: form-data; name="mapping"\r\n\r\n{"l1":"done"}\r\n`
      + `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\na\r\nb\r\nc\r\n--${boundary}--\r\n`);
    expect(formBody(file()).contentType).not.toBe(contentType); // a boundary per upload
  });
});
