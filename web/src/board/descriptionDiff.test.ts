import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { BoardEvent } from '../api/types';
import { DescriptionDiff } from './DescriptionDiff';
import { diffSummary, wordDiff } from './descriptionDiff';
import { buildTimeline } from './timeline';

describe('description diff', () => {
  it('marks inserted and deleted words, keeping the rest', () => {
    const parts = wordDiff('Ship the old footer today', 'Ship the new footer tomorrow');
    expect(parts.filter(p => p.kind === 'removed').map(p => p.text.trim())).toEqual(['old', 'today']);
    expect(parts.filter(p => p.kind === 'added').map(p => p.text.trim())).toEqual(['new', 'tomorrow']);
    expect(parts.filter(p => p.kind !== 'removed').map(p => p.text).join('')).toBe('Ship the new footer tomorrow');
    expect(parts.filter(p => p.kind !== 'added').map(p => p.text).join('')).toBe('Ship the old footer today');
    expect(diffSummary(parts)).toBe('2 words added, 2 removed');
  });

  it('renders <ins>/<del> with words a screen reader says, and never injects the text as HTML', () => {
    const html = renderToStaticMarkup(createElement(DescriptionDiff, { id: 'd1', from: 'Fix <b>it</b> now', to: 'Fix <img src=x onerror=alert(1)> now please' }));
    expect(html).toContain('<ins><span class="sr-only">added: </span>');
    expect(html).toContain('<del><span class="sr-only">removed: </span>');
    expect(html).toContain('please</ins>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).toContain('Fix &lt;');
    expect(html).toContain('it&lt;/b&gt;</del>');
    expect(html).toMatch(/^<div id="d1" class="description-diff" role="group" aria-label="Changes to the description: [^"]+">/);
  });

  it('offers the diff on a timeline item only for an edit of an existing description', () => {
    const ev = (seq: number, from: string | null, to: string | null): BoardEvent =>
      ({ boardId: 'b', seq, type: 'TaskUpdated', task: null, actorId: 'u1', changes: [{ field: 'description', from, to }], at: `2026-01-0${seq}T10:00:00Z` });
    const items = buildTimeline([ev(1, null, 'first'), ev(2, 'first', 'second'), ev(3, 'second', null),
      { ...ev(4, null, null), type: 'ColumnRespread', changes: [] }], [], () => 'Alice', []);
    expect(items.map(i => (i.kind === 'change' ? [i.text, i.description ?? null] : null))).toEqual([
      ['added a description', null],
      ['edited the description', { from: 'first', to: 'second' }],
      ['removed the description', null],
    ]);
  });
});
