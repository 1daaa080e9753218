import { describe, expect, it } from 'vitest';
import { safeNext } from './next';

describe('safeNext', () => {
  it('keeps paths on this site, with their query', () => {
    expect(safeNext('/invite?token=abc&accept=1')).toBe('/invite?token=abc&accept=1');
    expect(safeNext('/boards/1?priority=high')).toBe('/boards/1?priority=high');
  });
  it('refuses anything that could leave the site', () => {
    for (const bad of [null, '', 'https://evil.example', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) expect(safeNext(bad)).toBe('/');
  });
});
