// An empty account's first screen: a three-step guide and a sample board made through the API.
import { useState } from 'react';
import { api } from '../api/client';
import type { TaskCreate } from '../api/types';
import { navigate } from '../ui/router';
import { useToasts } from '../ui/toasts';

const DAY = 86_400_000;

/** The sample board's tasks: every column used, a few priorities, one deadline soon and one overdue. */
export function sampleTasks(now = Date.now()): TaskCreate[] {
  return [
    { title: 'Welcome! Open me: click a card or press Enter on it', priority: 'medium', status: 'todo',
      description: 'Cards hold a description, a deadline, an assignee, labels, a checklist and comments.' },
    { title: 'Drag me to “In progress” (or focus me and press →)', priority: 'high', status: 'todo', dueAt: new Date(now + 2 * DAY).toISOString() },
    { title: 'Invite your team from Members', priority: 'low', status: 'todo' },
    { title: 'Plan the first week', priority: 'urgent', status: 'in_progress', dueAt: new Date(now - DAY).toISOString() },
    { title: 'Create your TaskHub account', priority: 'medium', status: 'done' },
  ];
}

export function Onboarding() {
  const toasts = useToasts();
  const [busy, setBusy] = useState(false);
  const createSample = async () => {
    setBusy(true);
    try {
      const board = await api.createBoard('Sample board');
      for (const t of sampleTasks()) await api.createTask(board.id, t); // in order: each lands below the last
      navigate(`/boards/${board.id}`);
    } catch (e) {
      toasts.fail("Couldn't create the sample board", e, 'Try again, or create an empty board above.');
      setBusy(false);
    }
  };
  return (
    <section className="onboarding panel" aria-labelledby="onboarding-title">
      <h2 id="onboarding-title">Welcome to TaskHub</h2>
      <ol className="steps">
        <li><strong>Create a board</strong> for a project or a team — above, or start from a sample.</li>
        <li><strong>Add tasks</strong> and move them across To do, In progress and Done (drag them, or use the arrow keys).</li>
        <li><strong>Invite your team</strong> from the board’s Members button: everyone sees changes live.</li>
      </ol>
      <button className="btn btn-primary" onClick={() => void createSample()} disabled={busy}>{busy ? 'Creating the sample board…' : 'Create a sample board'}</button>
    </section>
  );
}
