// Colours generated from a key (avatars): every one carries white text at ≥ 4.5:1 (WCAG AA).

/** WCAG relative luminance of an sRGB colour (0–255 channels). */
export function luminance([r, g, b]: readonly [number, number, number]): number {
  const lin = (c: number) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The WCAG contrast ratio of two colours. */
export function contrast(a: readonly [number, number, number], b: readonly [number, number, number]): number {
  const x = luminance(a), y = luminance(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** HSL (h in degrees, s and l in 0–100) → sRGB channels 0–255. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  s /= 100; l /= 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)))));
  return [f(0), f(8), f(4)];
}

const WHITE = [255, 255, 255] as const;

/** A stable colour for `key` (a user id or a name): its hue from a hash, its lightness lowered until white text reaches 4.5:1. */
export function avatarColor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const hue = h % 360;
  let l = 48;
  let rgb = hslToRgb(hue, 55, l);
  while (contrast(rgb, WHITE) < 4.6 && l > 10) rgb = hslToRgb(hue, 55, --l);
  return `#${rgb.map(c => c.toString(16).padStart(2, '0')).join('')}`;
}
