// A label as a coloured chip: white text on the palette colour (every palette colour has ≥ 4.5:1 contrast with
// white: see .label-* in styles.css).
import type { Label } from '../api/types';

export function LabelChip({ label, small }: { label: Pick<Label, 'name' | 'color'>; small?: boolean }) {
  return <span className={`label-chip label-${label.color} ${small ? 'small' : ''}`}>{label.name}</span>;
}
