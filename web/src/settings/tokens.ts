// API token helpers, unit-tested (tokens.test.ts).

/** A date input's value ("2027-01-31") → the end of that day in the browser's zone, as UTC ISO; '' → null (never). */
export function expiryOf(date: string): string | null {
  if (!date) return null;
  const [y, m, d] = date.split('-').map(Number);
  if (!y || !m || !d) return null;
  return new Date(y, m - 1, d, 23, 59, 59).toISOString();
}

/** Why an expiry cannot be used, or null when it can (none, or a day from today on). */
export function expiryProblem(date: string, now = new Date()): string | null {
  const iso = expiryOf(date);
  if (date && !iso) return 'Enter a date, or leave it empty for a token that does not expire.';
  if (iso && Date.parse(iso) <= now.getTime()) return 'Pick a day from today on.';
  return null;
}

/** "Expired", "Expires 5 Dec 2026" or "Never expires". */
export function expiryText(iso: string | null, fmt: (iso: string) => string, now = Date.now()): string {
  if (!iso) return 'Never expires';
  return Date.parse(iso) <= now ? `Expired ${fmt(iso)}` : `Expires ${fmt(iso)}`;
}
