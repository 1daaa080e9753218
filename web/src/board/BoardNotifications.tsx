// How much I hear about this board: Watching (every change) / Participating (what involves me; the default) /
// Muted, and whether it emails me. GET on open, PUT on every change (optimistic, put back if refused).
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { BoardNotificationSettings, NotificationLevel } from '../api/types';
import { useToasts } from '../ui/toasts';

const LEVELS: { value: NotificationLevel; label: string }[] = [
  { value: 'watching', label: 'Watching: every change' },
  { value: 'participating', label: 'Participating: what involves me' },
  { value: 'muted', label: 'Muted' },
];
const levelName = (l: NotificationLevel) => l.charAt(0).toUpperCase() + l.slice(1);

export function BoardNotifications({ boardId }: { boardId: string }) {
  const toasts = useToasts();
  const [value, setValue] = useState<{ level: NotificationLevel; email: boolean } | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    let cancelled = false;
    api.boardNotifications(boardId).then(
      s => { if (!cancelled) setValue({ level: s.level ?? 'participating', email: s.email ?? true }); },
      e => { if (!cancelled) toasts.fail("Couldn't load your notification setting for this board", e, 'Reload the page to see or change it.'); });
    return () => { cancelled = true; };
  }, [boardId, toasts]);

  const save = async (next: { level: NotificationLevel; email: boolean }) => {
    const before = value;
    setValue(next);
    setSaving(true);
    try {
      const s: BoardNotificationSettings = await api.saveBoardNotifications(boardId, next);
      const level = s.level ?? next.level;
      setValue({ level, email: s.email ?? next.email });
      toasts.show({ kind: 'success', text: `This board: ${levelName(level)}${level === 'muted' ? '' : s.email ? ', emails on' : ', emails off'}` });
    } catch (e) {
      setValue(before);
      toasts.fail("Couldn't save your notification setting for this board", e, 'It is back to what it was; try again.');
    } finally { setSaving(false); }
  };

  const disabled = !value || saving;
  return (
    <div className="board-notify" role="group" aria-label="Notifications for this board">
      <select aria-label="Notification level" value={value?.level ?? 'participating'} disabled={disabled}
        onChange={e => void save({ level: e.target.value as NotificationLevel, email: value!.email })}>
        {LEVELS.map(l => <option key={l.value} value={l.value}>{l.label}</option>)}
      </select>
      <label className="switch" title={value?.level === 'muted' ? 'A muted board sends no email' : undefined}>
        <input type="checkbox" role="switch" checked={value ? value.email && value.level !== 'muted' : true}
          disabled={disabled || value?.level === 'muted'}
          onChange={e => void save({ level: value!.level, email: e.target.checked })} />
        Email me
      </label>
    </div>
  );
}
