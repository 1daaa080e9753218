// A form's submit: prevents the page load, marks it busy, clears the errors, runs the action, and shows what the
// server refused field by field (fieldErrors). `setErrors` is there for errors that arrive outside a submit.
import { useState } from 'react';
import { fieldErrors } from './fieldErrors';

export function useFormSubmit(action: () => Promise<void>) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true); setErrors({});
    try { await action(); } catch (err) { setErrors(fieldErrors(err)); } finally { setBusy(false); }
  };
  return { errors, setErrors, busy, submit };
}
