import { initials } from './format';

const HUES = [210, 260, 330, 20, 140, 180, 45, 290];

export function Avatar({ name, id, size = 24, title }: { name: string | null | undefined; id?: string | null; size?: number; title?: string }) {
  const key = id ?? name ?? '';
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const hue = HUES[h % HUES.length];
  return (
    <span className="avatar" title={title ?? name ?? ''} aria-label={title ?? name ?? 'unknown'} role="img"
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${hue} 55% 48%)` }}>
      {initials(name)}
    </span>
  );
}
