// The signed-in session's hub connection, shared by every page (src/hub.ts): made when someone signs in, stopped
// when they sign out or another user signs in.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { AppHub } from './hub';

const HubCtx = createContext<AppHub | null>(null);

/** The session's hub; only inside a signed-in shell. */
export function useHub(): AppHub {
  const hub = useContext(HubCtx);
  if (!hub) throw new Error('useHub outside a signed-in session');
  return hub;
}

/** Give it `key={user.id}`: a new user gets a new connection. */
export function HubProvider({ children }: { children: ReactNode }) {
  const [hub] = useState(() => new AppHub());
  useEffect(() => {
    void hub.start();
    return () => { void hub.stop(); };
  }, [hub]);
  return <HubCtx.Provider value={hub}>{children}</HubCtx.Provider>;
}
