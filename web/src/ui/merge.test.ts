import { describe, expect, it } from 'vitest';
import { changedFrom, follow, mergeFields } from './merge';

const F = ['name', 'color'] as const;
const v = (name: string, color: string) => ({ name, color });

describe('mergeFields', () => {
  it('takes theirs where only they changed, keeps mine where only I did', () => {
    const r = mergeFields(F, v('Bug', 'red'), v('Bug', 'blue'), v('Defect', 'red'));
    expect(r.form).toEqual(v('Defect', 'blue'));
    expect(r.conflicts).toEqual([]);
    expect(r.theirs).toEqual(['name']);
  });

  it('keeps mine and reports a conflict where both changed a field to different values', () => {
    const r = mergeFields(F, v('Bug', 'red'), v('Mine', 'red'), v('Theirs', 'red'));
    expect(r.form).toEqual(v('Mine', 'red'));
    expect(r.conflicts).toEqual([{ field: 'name', mine: 'Mine', theirs: 'Theirs' }]);
  });

  it('is no conflict when both made the same change, as `norm` compares them', () => {
    const trim = (_: string, s: string) => s.trim();
    expect(mergeFields(F, v('Bug', 'red'), v('Same ', 'red'), v('Same', 'red'), trim).conflicts).toEqual([]);
    expect(mergeFields(F, v('Bug', 'red'), v('Same ', 'red'), v('Same', 'red')).conflicts).toHaveLength(1);
  });
});

describe('follow', () => {
  it('moves the boxes not typed in to the newer value and says whether all followed', () => {
    expect(follow(F, v('Bug', 'red'), v('Defect', 'green'), v('Bug', 'red'))).toEqual({ form: v('Defect', 'green'), all: true });
    expect(follow(F, v('Bug', 'red'), v('Defect', 'green'), v('Mine', 'red'))).toEqual({ form: v('Mine', 'green'), all: false });
  });
});

describe('changedFrom', () => {
  it('is the fields the form changes (trimmed), nothing else', () => {
    expect(changedFrom(F, v('Bug', 'red'), v(' Bug ', 'blue'))).toEqual({ color: 'blue' });
    expect(changedFrom(F, v('Bug', 'red'), v('Bugs ', 'red'))).toEqual({ name: 'Bugs' });
    expect(changedFrom(F, v('Bug', 'red'), v('Bug', 'red'))).toEqual({});
  });
});
