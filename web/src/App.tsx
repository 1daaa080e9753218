import { useEffect, useState } from 'react';
import { api, currentUser, onSessionChange } from './api/client';
import { AuthPage } from './auth/AuthPage';
import { ForgotPage } from './auth/ForgotPage';
import { ResetPage } from './auth/ResetPage';
import { SsoPage } from './auth/SsoPage';
import { BoardPage } from './board/BoardPage';
import { BoardsPage } from './boards/BoardsPage';
import { ReportsPage } from './reports/ReportsPage';
import { SettingsPage } from './settings/SettingsPage';
import { InboxBell } from './inbox/InboxBell';
import { LandingPage } from './landing/LandingPage';
import { HubProvider } from './session';
import { MyTasksPage } from './tasks/MyTasksPage';
import { Avatar } from './ui/Avatar';
import { Link, navigate, usePath } from './ui/router';
import { useTheme } from './ui/theme';
import { ToastProvider, useToasts } from './ui/toasts';

export function App() {
  return <ToastProvider><Shell /></ToastProvider>;
}

function Shell() {
  const path = usePath();
  const toasts = useToasts();
  const [user, setUser] = useState(currentUser());
  const [theme, toggleTheme] = useTheme();
  useEffect(() => onSessionChange(() => setUser(currentUser())), []);

  const isAuth = ['/login', '/signup', '/forgot-password', '/reset-password', '/sso'].includes(path);
  const isLanding = !user && path === '/'; // a visitor who is not signed in: what TaskHub is
  useEffect(() => {
    if (!user && !isAuth && !isLanding) navigate('/login');
    if (user && isAuth) navigate('/');
  }, [user, isAuth, isLanding]);

  if (!user || isAuth) {
    return (
      <main className={`auth-shell ${isLanding ? 'landing-shell' : ''}`}>
        <button className="icon-btn theme-toggle floating" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>{theme === 'dark' ? '☀' : '☾'}</button>
        {isLanding ? <LandingPage /> : path === '/forgot-password' ? <ForgotPage /> : path === '/reset-password' ? <ResetPage /> : path === '/sso' ? <SsoPage />
          : <AuthPage mode={path === '/signup' ? 'signup' : 'login'} />}
      </main>
    );
  }

  let page;
  let m: RegExpMatchArray | null;
  if ((m = path.match(/^\/boards\/([^/]+)\/reports$/))) page = <ReportsPage boardId={m[1]} />;
  else if ((m = path.match(/^\/boards\/([^/]+)$/))) page = <BoardPage key={m[1]} boardId={m[1]} />;
  else if (path === '/my-tasks') page = <MyTasksPage />;
  else if (path === '/settings') page = <SettingsPage />;
  else page = <BoardsPage />;

  const nav = (to: string, label: string, active: boolean) => (
    <Link to={to} className={`nav-link ${active ? 'active' : ''}`}>{label}</Link>
  );
  return (
    <HubProvider key={user.id}>
      <div className="app">
        <SkipLink onBoard={/^\/boards\/[^/]+$/.test(path)} />
        <header className="topbar">
          <Link to="/" className="brand"><span className="brand-mark" aria-hidden="true">◆</span> TaskHub</Link>
          <nav aria-label="Main">
            {nav('/', 'Boards', path === '/' || path.startsWith('/boards'))}
            {nav('/my-tasks', 'My tasks', path === '/my-tasks')}
            {nav('/settings', 'Settings', path === '/settings')}
          </nav>
          <div className="topbar-right">
            <InboxBell />
            <button className="icon-btn" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>{theme === 'dark' ? '☀' : '☾'}</button>
            <Avatar name={user.displayName} id={user.id} size={28} />
            <button className="btn btn-ghost" onClick={() => void api.logout().then(
              () => navigate('/login'),
              e => { navigate('/login'); toasts.fail('Logged out on this device, but the server did not confirm', e, 'Log in and out again to end the session everywhere.'); })}>Log out</button>
          </div>
        </header>
        <main className="main" id="main" tabIndex={-1}>{page}</main>
      </div>
    </HubProvider>
  );
}

/** The first tab stop: past the top bar (and the board's header and filters) to the first card, or to the page. */
function SkipLink({ onBoard }: { onBoard: boolean }) {
  const skip = (e: React.MouseEvent) => {
    e.preventDefault();
    const target = (onBoard && (document.querySelector('.columns .card') ?? document.querySelector('.columns .column'))) || document.getElementById('main');
    (target as HTMLElement | null)?.focus();
  };
  return <a href="#main" className="skip-link" onClick={skip}>{onBoard ? 'Skip to the board' : 'Skip to content'}</a>;
}
