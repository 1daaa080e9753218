import { describe, expect, it } from 'vitest';
import { exportFileName } from './ExportSection';
import { lastDeliveryText } from './WebhooksSection';
import type { Webhook } from '../api/types';

const hook = (lastDelivery: Webhook['lastDelivery']): Webhook =>
  ({ id: 'h', boardId: 'b', url: 'https://x.test/h', events: [], format: 'json', active: true, lastDelivery });

describe('lastDeliveryText', () => {
  it('says when there was none', () => expect(lastDeliveryText(hook(null))).toBe('No deliveries yet'));
  it('gives the HTTP status, or the error first', () => {
    const at = new Date().toISOString();
    expect(lastDeliveryText(hook({ at, status: 200, error: null }))).toMatch(/^HTTP 200 · /);
    expect(lastDeliveryText(hook({ at, status: 500, error: 'HTTP 500' }))).toMatch(/^Failed: HTTP 500 · /);
    expect(lastDeliveryText(hook({ at, status: null, error: null }))).toMatch(/^No answer · /);
  });
});

describe('exportFileName', () => {
  it('keeps letters, digits and spaces as dashes', () => expect(exportFileName('Launch / Q3: plan', 'csv')).toBe('Launch-Q3-plan.csv'));
  it('falls back to "board"', () => expect(exportFileName(' /// ', 'json')).toBe('board.json'));
});
