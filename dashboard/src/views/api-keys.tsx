import { useState } from 'react';
import { seg } from '../api/client';
import type { ApiKey } from '../api/types';
import { ActionForm, Badge, Checkbox, CopyButton, ErrorBox, PagedTable, Section, TextField, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, usePaged } from '../hooks';

const SCOPES = ['admin', ...['app', 'endpoint', 'message', 'event_type', 'source'].flatMap((resource) => [`${resource}:read`, `${resource}:write`])];

function stateOf(key: ApiKey): string {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && new Date(key.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

/** API keys: list, create (the key is shown once), rotate with an overlap, revoke. */
export function ApiKeys() {
  const { api } = useDashboard();
  const keys = usePaged((iterator, signal) => api.page<ApiKey>('/api/v1/api-key', { limit: 25, order: 'descending' }, iterator, signal), []);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['message:write']);
  const [appId, setAppId] = useState('');
  const [expiresInDays, setExpiresInDays] = useState('');
  const create = useAction(async () => {
    const created = await api.post<ApiKey & { key: string }>('/api/v1/api-key', {
      name: name.trim(),
      scopes,
      appId: appId.trim() || null,
      expiresInSeconds: expiresInDays.trim() ? Math.round(Number(expiresInDays) * 86_400) : null,
    });
    setShown({ name: created.name, key: created.key });
    setName('');
    keys.first();
    keys.reload();
  });
  const rotate = useAction(async (key: ApiKey) => {
    if (!window.confirm(`Rotate ${key.name}? The old key keeps working for 24 hours.`)) return;
    const created = await api.post<ApiKey & { key: string }>(`/api/v1/api-key/${seg(key.id)}/rotate`, {});
    setShown({ name: created.name, key: created.key });
    keys.reload();
  });
  const revoke = useAction(async (key: ApiKey) => {
    if (!window.confirm(`Revoke ${key.name}? It stops working at once.`)) return;
    await api.delete(`/api/v1/api-key/${seg(key.id)}`);
    keys.reload();
  });

  return (
    <div className="page">
      <h1>API keys</h1>
      {shown && (
        <div className="secret-box card" role="status">
          <h2>New key for {shown.name}</h2>
          <p>Copy it now: it is stored only as a hash and cannot be shown again.</p>
          <p>
            <code aria-label="New API key">{shown.key}</code> <CopyButton text={shown.key} />{' '}
            <button type="button" className="small" onClick={() => setShown(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      <Section title="Keys">
        <ErrorBox error={rotate.error ?? revoke.error} />
        <PagedTable
          paged={keys}
          caption="API keys"
          head={['Name', 'Prefix', 'Scopes', 'Application', 'State', 'Expires', 'Last used', '']}
          empty="No API key yet."
          row={(key) => {
            const state = stateOf(key);
            return (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}</code>
                </td>
                <td>{key.scopes.join(' ')}</td>
                <td>{key.appId ?? <span className="muted">all</span>}</td>
                <td>
                  <Badge value={state} />
                </td>
                <td>
                  <Time value={key.expiresAt} />
                </td>
                <td>
                  <Time value={key.lastUsedAt} />
                </td>
                <td className="row-actions">
                  {state === 'active' && (
                    <>
                      <button type="button" className="small" aria-label={`Rotate ${key.name}`} onClick={() => void rotate.run(key)}>
                        Rotate
                      </button>
                      <button type="button" className="small danger" aria-label={`Revoke ${key.name}`} onClick={() => void revoke.run(key)}>
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          }}
        />
      </Section>
      <Section title="New API key">
        <ActionForm action={create} submit="Create API key" label="New API key">
          <div className="grid">
            <TextField label="Key name" value={name} required onChange={setName} placeholder="billing service" />
            <TextField label="Confine to application" value={appId} hint="Optional: an application id or uid" onChange={setAppId} />
            <TextField label="Expires in (days)" type="number" value={expiresInDays} hint="Empty: never" onChange={setExpiresInDays} />
          </div>
          <fieldset className="inline">
            <legend>Scopes</legend>
            {SCOPES.map((scope) => (
              <Checkbox key={scope} label={scope} checked={scopes.includes(scope)} onChange={(on) => setScopes(on ? [...scopes, scope] : scopes.filter((one) => one !== scope))} />
            ))}
          </fieldset>
        </ActionForm>
      </Section>
    </div>
  );
}
