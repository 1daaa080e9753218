// The tab's title: "Launch · TaskHub", "Settings · TaskHub"; plain "TaskHub" when a page names nothing.
import { useEffect } from 'react';

export const APP_NAME = 'TaskHub';
export const titleOf = (page?: string | null) => (page ? `${page} · ${APP_NAME}` : APP_NAME);

/** Sets the tab's title while the component is shown. */
export function useTitle(page: string | null | undefined) {
  useEffect(() => { document.title = titleOf(page); }, [page]);
}
