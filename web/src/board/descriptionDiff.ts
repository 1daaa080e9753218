// A word-level diff of two versions of a task's description (jsdiff's diffWords), as plain parts: the task dialog's
// timeline renders them as text inside <ins>/<del> (never as HTML). Pure; unit-tested (descriptionDiff.test.ts).
import { diffWords } from 'diff';

export interface DiffPart { readonly kind: 'same' | 'added' | 'removed'; readonly text: string }

/** What changed between two descriptions, word by word, in reading order (a removal before the insertion replacing it). */
export function wordDiff(from: string, to: string): DiffPart[] {
  return diffWords(from, to).map(c => ({ kind: c.added ? 'added' : c.removed ? 'removed' : 'same', text: c.value }));
}

/** How many words were added and removed: "2 words added, 1 removed". */
export function diffSummary(parts: readonly DiffPart[]): string {
  const words = (kind: DiffPart['kind']) => parts.filter(p => p.kind === kind).reduce((n, p) => n + (p.text.match(/\S+/g)?.length ?? 0), 0);
  const added = words('added');
  const removed = words('removed');
  const w = (n: number) => `${n} word${n === 1 ? '' : 's'}`;
  if (added && removed) return `${w(added)} added, ${removed} removed`;
  if (added) return `${w(added)} added`;
  if (removed) return `${w(removed)} removed`;
  return 'only spacing changed';
}
