import type { Label, Member } from '../api/types';
import { PRIORITIES, PRIORITY_LABEL, type Filters } from './model';

interface Props { filters: Filters; members: readonly Member[]; labels: readonly Label[]; onChange: (f: Filters) => void }

export function FilterBar({ filters, members, labels, onChange }: Props) {
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLSelectElement>) => onChange({ ...filters, [k]: e.target.value });
  return (
    <div className="filters" role="group" aria-label="Filters">
      <label>Assignee
        <select value={filters.assignee} onChange={set('assignee')}>
          <option value="">Anyone</option><option value="none">Unassigned</option>
          {members.map(m => <option key={m.userId} value={m.userId}>{m.displayName}</option>)}
        </select>
      </label>
      <label>Priority
        <select value={filters.priority} onChange={set('priority')}>
          <option value="">Any</option>{PRIORITIES.map(p => <option key={p} value={p}>{PRIORITY_LABEL[p]}</option>)}
        </select>
      </label>
      <label>Label
        <select value={filters.label} onChange={set('label')} aria-label="Label">
          <option value="">Any</option><option value="none">No label</option>
          {labels.map(l => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
      </label>
      <label>Due
        <select value={filters.due} onChange={set('due')}>
          <option value="">Any time</option><option value="overdue">Overdue</option><option value="soon">Within 48 h</option><option value="later">Later</option><option value="none">No deadline</option>
        </select>
      </label>
    </div>
  );
}
