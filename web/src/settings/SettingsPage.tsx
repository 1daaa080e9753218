// Settings: profile and time zone, password, notifications, API tokens, delete account.
import { DeleteAccountSection } from './DeleteAccountSection';
import { NotificationsSection } from './NotificationsSection';
import { PasswordSection } from './PasswordSection';
import { ProfileSection } from './ProfileSection';
import { TokensSection } from './TokensSection';

export function SettingsPage() {
  return (
    <div className="page narrow">
      <div className="page-head"><h1>Settings</h1></div>
      <ProfileSection />
      <PasswordSection />
      <NotificationsSection />
      <TokensSection />
      <DeleteAccountSection />
    </div>
  );
}
