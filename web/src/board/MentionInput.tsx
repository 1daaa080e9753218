// A textarea for comment Markdown with @mention autocomplete: typing @ opens a listbox of the board's members
// (↑/↓ choose, Enter or Tab inserts `@[Name](id)`, Escape closes; a click works too).
import { useId, useMemo, useRef, useState } from 'react';
import type { Member } from '../api/types';
import { activeMention, insertMention, matchMembers } from './mentions';
import { limits } from '../api/limits';

interface Props {
  value: string; onChange: (v: string) => void; members: readonly Member[]; label: string;
  onSubmit?: () => void; autoFocus?: boolean; rows?: number;
}

export function MentionInput({ value, onChange, members, label, onSubmit, autoFocus, rows = 3 }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [closedAt, setClosedAt] = useState<number | null>(null); // Escape closes the list for this @
  const mention = activeMention(value, caret);
  const options = useMemo(() => (mention ? matchMembers(members, mention.query) : []), [mention?.query, members]); // eslint-disable-line react-hooks/exhaustive-deps
  const open = !!mention && options.length > 0 && closedAt !== mention.start;
  const current = open ? Math.min(active, options.length - 1) : -1;

  const choose = (m: Member) => {
    if (!mention) return;
    const r = insertMention(value, mention.start, caret, m);
    onChange(r.text);
    setCaret(r.caret);
    requestAnimationFrame(() => { const el = ref.current; if (el) { el.focus(); el.setSelectionRange(r.caret, r.caret); } });
  };
  const track = (el: HTMLTextAreaElement) => { setCaret(el.selectionStart); };

  return (
    <div className="mention-input">
      <textarea ref={ref} value={value} rows={rows} aria-label={label} autoFocus={autoFocus} maxLength={limits.comment}
        aria-autocomplete="list" aria-controls={open ? listId : undefined}
        aria-activedescendant={open ? `${listId}-${current}` : undefined}
        onChange={e => { onChange(e.target.value); track(e.target); setActive(0); }}
        onSelect={e => track(e.currentTarget)} onClick={e => track(e.currentTarget)}
        onKeyDown={e => {
          if (open) {
            if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
              e.preventDefault();
              setActive((current + (e.key === 'ArrowDown' ? 1 : -1) + options.length) % options.length);
              return;
            }
            if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); choose(options[current]); return; }
            if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setClosedAt(mention!.start); return; }
          }
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && onSubmit) { e.preventDefault(); onSubmit(); }
        }} />
      {open && (
        <ul className="mention-list" role="listbox" id={listId} aria-label="Mention a member">
          {options.map((m, i) => (
            <li key={m.userId} id={`${listId}-${i}`} role="option" aria-selected={i === current} className={i === current ? 'active' : ''}
              onMouseDown={e => { e.preventDefault(); choose(m); }}>
              {m.displayName} <span className="muted small">{m.email}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
