import { avatarColor } from './colors';
import { initials } from './format';

export function Avatar({ name, id, size = 24, title }: { name: string | null | undefined; id?: string | null; size?: number; title?: string }) {
  return (
    <span className="avatar" title={title ?? name ?? ''} aria-label={title ?? name ?? 'unknown'} role="img"
      style={{ width: size, height: size, fontSize: size * 0.42, background: avatarColor(id ?? name ?? '') }}>
      {initials(name)}
    </span>
  );
}
