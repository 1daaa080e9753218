// The app's icons come from lucide-react (bundled SVGs, no web font, no CDN: the CSP allows neither), not text glyphs.
import { Moon, SquareKanban, Sun, X } from 'lucide-react';

/** The TaskHub mark before the name. */
export function BrandMark() {
  return <span className="brand-mark" aria-hidden="true"><SquareKanban size={20} strokeWidth={2.25} /></span>;
}

/** The theme switch's icon: the theme it switches to. */
export function ThemeIcon({ dark }: { dark: boolean }) {
  return dark ? <Sun size={18} aria-hidden="true" /> : <Moon size={18} aria-hidden="true" />;
}

/** Close / dismiss / remove (the button around it carries the name). */
export function CloseIcon({ size = 16 }: { size?: number }) {
  return <X size={size} aria-hidden="true" />;
}
