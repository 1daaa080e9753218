/** Where the auth pages go once signed in: `next` when it is a path on this site (no open redirect), else the boards. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
