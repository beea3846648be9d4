import { useState, type FormEvent } from 'react';
import { Session, type Credential } from '../api/session';
import { ErrorBox, Notice, TextField } from '../components/ui';

/**
 * Sign-in with an API key (or the admin token), exchanged at /oauth/token for a refreshable session, or with an
 * OAuth client's id and secret (client credentials with `offline_access`). The key never leaves this form's memory
 * except in that one request.
 */
export function SignIn({ onSignedIn, message }: { onSignedIn: (session: Session) => void; message: string | null }) {
  const [method, setMethod] = useState<'api_key' | 'client'>('api_key');
  const [key, setKey] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const credential: Credential = method === 'api_key' ? { kind: 'api_key', key } : { kind: 'client', id: clientId, secret: clientSecret };
    try {
      const session = await Session.signIn('operator', credential);
      setKey('');
      setClientSecret('');
      onSignedIn(session);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form className="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Hookyard</h1>
        {message && <Notice>{message}</Notice>}
        <fieldset className="segmented">
          <legend className="sr-only">Sign in with</legend>
          <label>
            <input type="radio" name="method" checked={method === 'api_key'} onChange={() => setMethod('api_key')} /> Use an API key
          </label>
          <label>
            <input type="radio" name="method" checked={method === 'client'} onChange={() => setMethod('client')} /> Use an OAuth client
          </label>
        </fieldset>
        {method === 'api_key' ? (
          <TextField
            label="API key"
            type="password"
            value={key}
            onChange={setKey}
            required
            hint="An API key (hyk_…) or the admin token (hy_admin_…). It is exchanged for a session that expires and refreshes itself."
          />
        ) : (
          <>
            <TextField label="Client ID" value={clientId} onChange={setClientId} required placeholder="cli_…" />
            <TextField label="Client secret" type="password" value={clientSecret} onChange={setClientSecret} required />
          </>
        )}
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
