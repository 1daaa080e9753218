// Unknown URLs: say so (they used to fall back to the boards list silently), with a way on.
import { Link } from './router';
import { useTitle } from './title';

export function NotFoundPage() {
  useTitle('Page not found');
  return (
    <div className="page not-found">
      <h1>Page not found</h1>
      <p className="muted">There is nothing at <code>{location.pathname}</code>. The link may be mistyped, or the page may have moved.</p>
      <p><Link to="/" className="btn btn-primary">Go to your boards</Link></p>
    </div>
  );
}
