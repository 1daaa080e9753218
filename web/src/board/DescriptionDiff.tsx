// The "Show changes" view of a description edit: the new text with insertions in <ins> and deletions in <del>.
// Every part is a React text child (escaped), so whatever the description holds is shown, never run as HTML.
// <ins>/<del> are not announced by most screen readers, so each carries a visually hidden "added:"/"removed:".
import { diffSummary, wordDiff } from './descriptionDiff';

export function DescriptionDiff({ id, from, to }: { id?: string; from: string; to: string }) {
  const parts = wordDiff(from, to);
  return (
    <div id={id} className="description-diff" role="group" aria-label={`Changes to the description: ${diffSummary(parts)}`}>
      {parts.map((p, i) => p.kind === 'added' ? <ins key={i}><span className="sr-only">added: </span>{p.text}</ins>
        : p.kind === 'removed' ? <del key={i}><span className="sr-only">removed: </span>{p.text}</del>
          : <span key={i}>{p.text}</span>)}
    </div>
  );
}
