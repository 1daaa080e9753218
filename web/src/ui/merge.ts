// The three-way merge that keeps a person's edits when what they edit changes underneath (live, or a 412 on save):
// the task dialog's fields (board/taskForm.ts) and the small versioned edits (./versionedEdit.ts). Pure; unit-tested.

/** Changed on both sides to different values: the box keeps mine until the person chooses. */
export interface FieldConflict<K extends string> { field: K; mine: string; theirs: string }
export interface FieldMerge<K extends string> {
  /** Their value where only they changed it, mine where only I did (or both the same). */
  form: Record<K, string>;
  conflicts: FieldConflict<K>[];
  /** The fields they changed. */
  theirs: K[];
}

/** Three-way merge of my unsaved `mine` and the server's `theirs`, both from `base`; `norm` compares (e.g. trims). */
export function mergeFields<K extends string>(fields: readonly K[], base: Record<K, string>, mine: Record<K, string>, theirs: Record<K, string>,
  norm: (k: K, v: string) => string = (_, v) => v): FieldMerge<K> {
  const form = { ...mine };
  const conflicts: FieldConflict<K>[] = [];
  const changedByThem: K[] = [];
  for (const k of fields) {
    const mineChanged = norm(k, mine[k]) !== norm(k, base[k]);
    const theirsChanged = norm(k, theirs[k]) !== norm(k, base[k]);
    if (theirsChanged) changedByThem.push(k);
    if (!mineChanged) form[k] = theirs[k];
    else if (theirsChanged && norm(k, mine[k]) !== norm(k, theirs[k])) conflicts.push({ field: k, mine: mine[k], theirs: theirs[k] });
  }
  return { form, conflicts, theirs: changedByThem };
}

/** The fields where `form` differs from `shown` (trimmed): what a save sends. */
export function changedFrom<K extends string>(fields: readonly K[], shown: Record<K, string>, form: Record<K, string>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of fields) if (form[k].trim() !== shown[k]) out[k] = form[k].trim();
  return out;
}

/**
 * A newer version of what is being edited, shown live: each box the person has not typed in (it still holds `before`)
 * takes the new value. `all`: every box followed, so nothing of theirs is hidden by what was typed.
 */
export function follow<K extends string>(fields: readonly K[], before: Record<K, string>, now: Record<K, string>, form: Record<K, string>): { form: Record<K, string>; all: boolean } {
  const out = { ...form };
  let all = true;
  for (const k of fields) {
    if (form[k] === before[k]) out[k] = now[k];
    else all = false;
  }
  return { form: out, all };
}
