import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { humanSize } from '../ui/format';
import { finished, percentOf, progressed, started, uploadAdvice } from './uploads';

describe('humanSize', () => {
  it('uses bytes below 1 KB', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(999)).toBe('999 B');
    expect(humanSize(1023)).toBe('1023 B');
  });
  it('uses one decimal below 10 and none above', () => {
    expect(humanSize(1024)).toBe('1 KB');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(12 * 1024 + 300)).toBe('12 KB');
    expect(humanSize(25 * 1024 * 1024)).toBe('25 MB');
    expect(humanSize(1.25 * 1024 ** 3)).toBe('1.3 GB');
  });
  it('never shows 1024 of a unit', () => {
    expect(humanSize(1024 * 1024 - 1)).toBe('1 MB');
  });
  it('refuses nonsense', () => {
    expect(humanSize(-1)).toBe('?');
    expect(humanSize(NaN)).toBe('?');
  });
});

describe('upload progress', () => {
  it('is a whole percent, null without a total', () => {
    expect(percentOf({ loaded: 1, total: 3 })).toBe(33);
    expect(percentOf({ loaded: 5, total: 0 })).toBeNull();
    expect(percentOf({ loaded: 10, total: 5 })).toBe(100);
  });
  it('only goes up, and 100 % is "processing" until the server answers', () => {
    let l = started([], 1, { name: 'a.png', size: 100 });
    l = started(l, 2, { name: 'b.txt', size: 10 });
    l = progressed(l, 1, { loaded: 60, total: 100 });
    expect(l[0]).toMatchObject({ percent: 60, phase: 'sending' });
    l = progressed(l, 1, { loaded: 40, total: 100 }); // a late, smaller event
    expect(l[0].percent).toBe(60);
    l = progressed(l, 1, { loaded: 7, total: 0 }); // no total: keeps what it knew
    expect(l[0].percent).toBe(60);
    l = progressed(l, 1, { loaded: 100, total: 100 });
    expect(l[0]).toMatchObject({ percent: 100, phase: 'processing' });
    expect(l[1]).toMatchObject({ percent: 0, phase: 'sending' });
    l = finished(l, 1);
    expect(l.map(u => u.name)).toEqual(['b.txt']);
  });
  it('says what to do by the error', () => {
    expect(uploadAdvice(new ApiError(413, 'too large'))).toMatch(/Compress or split/);
    expect(uploadAdvice(new TypeError('x'))).toMatch(/25 MB by default/);
    expect(uploadAdvice(new ApiError(403, 'no'))).toMatch(/Viewers/);
    expect(uploadAdvice(new TypeError('x'))).toMatch(/connection/);
  });
});
