// The tab's title: "Launch · TaskHub", "Settings · TaskHub"; plain "TaskHub" when a page names nothing.
import { useEffect } from 'react';

export const APP_NAME = 'TaskHub';
export const titleOf = (page?: string | null) => (page ? `${page} · ${APP_NAME}` : APP_NAME);

/** Sets the tab's title while the component is shown; `undefined` leaves it to a component inside (it names the page). */
export function useTitle(page: string | null | undefined) {
  useEffect(() => { if (page !== undefined) document.title = titleOf(page); }, [page]);
}
