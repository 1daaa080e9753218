import type { BoardStore } from '../sync';
import { selectConnection, useBoardState } from './useBoardState';

/** Shown while the hub connection is down; the store catches up by seq when it is back. */
export function ConnectionBanner({ store }: { store: BoardStore }) {
  const conn = useBoardState(store, selectConnection);
  if (conn === 'connected' || conn === 'connecting') return null;
  return <div className="banner" role="status" data-testid="reconnecting">Reconnecting… changes will catch up automatically.</div>;
}
