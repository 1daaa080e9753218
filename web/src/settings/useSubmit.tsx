import { useState } from 'react';
import { useToasts } from '../ui/toasts';

/** Runs a form's save: a success toast, or the server's message under the form (role="alert"). */
export function useSubmit(ok: string): [error: string, run: (f: () => Promise<unknown>) => Promise<void>] {
  const toasts = useToasts();
  const [error, setError] = useState('');
  const run = async (f: () => Promise<unknown>) => {
    setError('');
    try { await f(); toasts.show({ kind: 'success', text: ok }); }
    catch (e) { setError((e as Error).message); }
  };
  return [error, run];
}

export function FormError({ text }: { text: string }) {
  return text ? <span className="field-error" role="alert">{text}</span> : null;
}
