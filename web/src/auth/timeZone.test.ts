import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import { browserTimeZone, withTimeZoneFallback } from './timeZone';

describe('sign-up time zone', () => {
  it("sends the browser's IANA time zone", async () => {
    const send = vi.fn(async (tz?: string) => tz);
    expect(await withTimeZoneFallback(send, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(send).toHaveBeenCalledTimes(1);
    expect(browserTimeZone()).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('retries once without it when the server refuses the time zone', async () => {
    const send = vi.fn(async (tz?: string) => {
      if (tz) throw new ApiError(400, 'Unknown time zone.', { timeZone: ['Unknown time zone.'] });
      return 'utc';
    });
    expect(await withTimeZoneFallback(send, 'Mars/Olympus_Mons')).toBe('utc');
    expect(send.mock.calls).toEqual([['Mars/Olympus_Mons'], []]);
  });

  it('does not retry other failures', async () => {
    const err = new ApiError(400, 'Taken.', { email: ['That email is taken.'] });
    const send = vi.fn(async () => { throw err; });
    await expect(withTimeZoneFallback(send, 'Europe/Berlin')).rejects.toBe(err);
    expect(send).toHaveBeenCalledTimes(1);
    const retryOnce = vi.fn(async () => { throw new ApiError(400, 'Bad zone.', { timeZone: ['Bad zone.'] }); });
    await expect(withTimeZoneFallback(retryOnce, 'X/Y')).rejects.toBeInstanceOf(ApiError);
    expect(retryOnce).toHaveBeenCalledTimes(2);
  });
});
