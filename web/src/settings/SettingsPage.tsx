// Settings: profile and time zone, password, two-factor sign-in, sessions, notifications, calendar feed, API tokens, delete account.
import { CalendarSection } from './CalendarSection';
import { DeleteAccountSection } from './DeleteAccountSection';
import { NotificationsSection } from './NotificationsSection';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { SessionsSection } from './SessionsSection';
import { TokensSection } from './TokensSection';
import { TwoFactorSection } from './TwoFactorSection';

export function SettingsPage() {
  return (
    <div className="page narrow">
      <div className="page-head"><h1>Settings</h1></div>
      <ProfileSection />
      <PasswordSection />
      <TwoFactorSection />
      <SessionsSection />
      <NotificationsSection />
      <CalendarSection />
      <TokensSection />
      <DeleteAccountSection />
    </div>
  );
}
