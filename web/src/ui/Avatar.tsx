import { initials } from './format';

/** Hue and lightness (saturation 55 %) of the avatar colours: each ≥ 4.5:1 against the white initials (avatar.test.ts). */
export const AVATAR_COLORS: readonly (readonly [hue: number, lightness: number])[] = [
  [210, 46], [260, 48], [330, 48], [20, 44], [140, 32], [180, 31], [45, 34], [290, 48],
];

export function avatarColor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const [hue, light] = AVATAR_COLORS[h % AVATAR_COLORS.length];
  return `hsl(${hue} 55% ${light}%)`;
}

export function Avatar({ name, id, size = 24, title }: { name: string | null | undefined; id?: string | null; size?: number; title?: string }) {
  return (
    <span className="avatar" title={title ?? name ?? ''} aria-label={title ?? name ?? 'unknown'} role="img"
      style={{ width: size, height: size, fontSize: size * 0.42, background: avatarColor(id ?? name ?? '') }}>
      {initials(name)}
    </span>
  );
}
