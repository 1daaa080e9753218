// The page a visitor who is not signed in sees at "/": what TaskHub is, and the way in.
import { Link } from '../ui/router';
import { BrandMark } from '../ui/icons';

const FEATURES: { title: string; text: string }[] = [
  { title: 'One board, live for everyone', text: 'Cards move, change and appear on every open screen as they happen — no reloads, no “who has the latest?”.' },
  { title: 'Made for the keyboard', text: 'Arrow keys move cards between and within columns, Enter opens them; a skip link goes straight to the board.' },
  { title: 'Nothing slips', text: 'Deadlines, checklists, mentions, an inbox and email digests tell the right people at the right time.' },
];

export function LandingPage() {
  return (
    <div className="landing">
      <div className="brand big"><BrandMark /> TaskHub</div>
      <h1>The task board your team keeps open all day</h1>
      <p className="landing-lead">Plan work in columns, see who is on it and what is due, and watch the board change live as your team works.</p>
      <div className="landing-actions">
        <Link to="/signup" className="btn btn-primary">Sign up — it’s free</Link>
        <Link to="/login" className="btn btn-ghost">Log in</Link>
      </div>
      <ul className="landing-features">
        {FEATURES.map(f => <li key={f.title}><h2>{f.title}</h2><p className="muted">{f.text}</p></li>)}
      </ul>
    </div>
  );
}
