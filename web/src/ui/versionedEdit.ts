// An edit of one thing that carries a version (a label, a checklist item, a comment, a board's name): the boxes follow
// a change made elsewhere where the person has not typed, the save sends the version the edit started from as
// If-Match, and a 412 (someone else saved first) keeps what was typed: fields only they changed are taken and the save
// goes again with their version; a field both changed shows both values to choose (save mine over theirs, or take
// theirs). The same rules as the task dialog's (taskForm.ts), for one small form.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { changedFrom, follow, mergeFields, type FieldConflict } from './merge';

/** What a 412 says the thing is now (the problem's `current`), or null for any other error. */
export function staleCurrent<T>(err: unknown): T | null {
  return err instanceof ApiError && err.status === 412 && err.current ? (err.current as T) : null;
}

interface Versioned { version: number }

/**
 * The form of `thing`'s `fields` (as strings, `valuesOf`). `save(send)` sends the changed fields with the version the
 * edit started from and answers the saved thing, or null when a conflict waits for the person's choice (`conflict`):
 * `keepMine()` then saves theirs over it with the new version, `takeTheirs()` puts theirs in the boxes.
 */
export function useVersionedEdit<T extends Versioned, K extends string>(thing: T, fields: readonly K[], valuesOf: (t: T) => Record<K, string>) {
  const [form, setForm] = useState(() => valuesOf(thing));
  // seen: the thing as last shown (a newer one follows into the boxes not typed in); from: what the edit starts from
  const [seen, setSeen] = useState(thing);
  const [from, setFrom] = useState(thing);
  const [conflict, setConflict] = useState<{ theirs: T; fields: FieldConflict<K>[] } | null>(null);
  if (thing.version > seen.version) {
    const followed = follow(fields, valuesOf(seen), valuesOf(thing), form);
    setForm(followed.form);
    if (followed.all && !conflict) setFrom(thing); // nothing of theirs is hidden by what was typed
    setSeen(thing);
  }

  const save = async (send: (changed: Partial<Record<K, string>>, version: number) => Promise<T>): Promise<T | null> => {
    let base = from, mine = form, shown = thing.version > from.version ? thing : from;
    setConflict(null);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const saved = await send(changedFrom(fields, valuesOf(shown), mine), base.version);
        setFrom(saved); setSeen(saved);
        return saved;
      } catch (err) {
        const theirs = staleCurrent<T>(err);
        if (!theirs) throw err;
        const r = mergeFields(fields, valuesOf(base), mine, valuesOf(theirs), (_, v) => v.trim());
        // what was typed while it was sent stays too
        setForm(f => Object.fromEntries(fields.map(k => [k, f[k] === mine[k] ? r.form[k] : f[k]])) as Record<K, string>);
        setFrom(theirs); setSeen(theirs);
        if (r.conflicts.length) { setConflict({ theirs, fields: r.conflicts }); return null; }
        base = theirs; shown = theirs; mine = r.form;
      }
    }
    throw new Error('It keeps changing under you: what you typed is still here, save again.');
  };
  return {
    form, conflict, save,
    set: (k: K, v: string) => setForm(f => ({ ...f, [k]: v })),
    /** Back to the thing as it is (a cancelled edit). */
    reset: () => { setForm(valuesOf(thing)); setFrom(thing); setSeen(thing); setConflict(null); },
    takeTheirs: () => { if (conflict) setForm(f => ({ ...f, ...valuesOf(conflict.theirs) })); setConflict(null); },
  };
}
