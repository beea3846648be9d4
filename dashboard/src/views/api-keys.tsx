import { useState } from 'react';
import { seg } from '../api/client';
import type { ApiKey, OAuthClient } from '../api/types';
import { ActionForm, Badge, Checkbox, CopyButton, ErrorBox, PagedTable, Section, TextField, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, usePaged, type Paged } from '../hooks';

const SCOPES = ['admin', ...['app', 'endpoint', 'message', 'event_type', 'source'].flatMap((resource) => [`${resource}:read`, `${resource}:write`])];

function stateOf(credential: { revokedAt: string | null; expiresAt?: string | null }): string {
  if (credential.revokedAt) return 'revoked';
  if (credential.expiresAt && new Date(credential.expiresAt).getTime() <= Date.now()) return 'expired';
  return 'active';
}

interface Shown {
  title: string;
  label: string;
  value: string;
}

/** A new key or client secret, shown this once: the server keeps only its hash. */
function ShownOnce({ shown, onDone }: { shown: Shown; onDone: () => void }) {
  return (
    <div className="secret-box card" role="status">
      <h2>{shown.title}</h2>
      <p>Copy it now: it is stored only as a hash and cannot be shown again.</p>
      <p>
        <code aria-label={shown.label}>{shown.value}</code> <CopyButton text={shown.value} />{' '}
        <button type="button" className="small" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}

function ScopePicker({ scopes, onChange }: { scopes: string[]; onChange: (scopes: string[]) => void }) {
  return (
    <fieldset className="inline">
      <legend>Scopes</legend>
      {SCOPES.map((scope) => (
        <Checkbox key={scope} label={scope} checked={scopes.includes(scope)} onChange={(on) => onChange(on ? [...scopes, scope] : scopes.filter((one) => one !== scope))} />
      ))}
    </fieldset>
  );
}

/**
 * What keys and clients share: rotating (the old secret keeps working for a day) and revoking, each confirmed, and
 * the new secret shown once.
 */
function useCredentialActions<T extends { id: string; name: string }>(path: string, list: Paged<T>, reveal: (created: T & Record<string, unknown>) => Shown, rotatePath: string) {
  const { api } = useDashboard();
  const [shown, setShown] = useState<Shown | null>(null);
  const rotate = useAction(async (item: T) => {
    if (!window.confirm(`Rotate ${item.name}? The old one keeps working for 24 hours.`)) return;
    setShown(reveal(await api.post<T & Record<string, unknown>>(`${path}/${seg(item.id)}/${rotatePath}`, {})));
    list.reload();
  });
  const revoke = useAction(async (item: T) => {
    if (!window.confirm(`Revoke ${item.name}? It stops working at once.`)) return;
    await api.delete(`${path}/${seg(item.id)}`);
    list.reload();
  });
  return { shown, setShown, rotate, revoke };
}

function RowActions<T extends { name: string }>({
  item,
  actions,
}: {
  item: T;
  actions: { rotate: { run: (item: T) => Promise<void> }; revoke: { run: (item: T) => Promise<void> } };
}) {
  return (
    <td className="row-actions">
      <button type="button" className="small" aria-label={`Rotate ${item.name}`} onClick={() => void actions.rotate.run(item)}>
        Rotate
      </button>
      <button type="button" className="small danger" aria-label={`Revoke ${item.name}`} onClick={() => void actions.revoke.run(item)}>
        Revoke
      </button>
    </td>
  );
}

/** API keys and OAuth clients: list, create (the secret is shown once), rotate with an overlap, revoke. */
export function ApiKeys() {
  return (
    <div className="page">
      <h1>API keys and OAuth clients</h1>
      <Keys />
      <OAuthClients />
    </div>
  );
}

function Keys() {
  const { api } = useDashboard();
  const path = '/api/v1/api-key';
  const keys = usePaged((iterator, signal) => api.page<ApiKey>(path, { limit: 25, order: 'descending' }, iterator, signal), []);
  const reveal = (created: ApiKey & Record<string, unknown>): Shown => ({ title: `New key for ${created.name}`, label: 'The new API key', value: String(created.key) });
  const actions = useCredentialActions(path, keys, reveal, 'rotate');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['message:write']);
  const [appId, setAppId] = useState('');
  const [expiresInDays, setExpiresInDays] = useState('');
  const create = useAction(async () => {
    const created = await api.post<ApiKey & Record<string, unknown>>(path, {
      name: name.trim(),
      scopes,
      appId: appId.trim() || null,
      expiresInSeconds: expiresInDays.trim() ? Math.round(Number(expiresInDays) * 86_400) : null,
    });
    actions.setShown(reveal(created));
    setName('');
    keys.first();
    keys.reload();
  });

  return (
    <>
      {actions.shown && <ShownOnce shown={actions.shown} onDone={() => actions.setShown(null)} />}
      <Section title="API keys">
        <ErrorBox error={actions.rotate.error ?? actions.revoke.error} />
        <PagedTable
          paged={keys}
          caption="API keys"
          head={['Name', 'Prefix', 'Scopes', 'Application', 'State', 'Expires', 'Last used', '']}
          empty="No API key yet."
          row={(key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>
                <code>{key.prefix}</code>
              </td>
              <td>{key.scopes.join(' ')}</td>
              <td>{key.appId ?? <span className="muted">all</span>}</td>
              <td>
                <Badge value={stateOf(key)} />
              </td>
              <td>
                <Time value={key.expiresAt} />
              </td>
              <td>
                <Time value={key.lastUsedAt} />
              </td>
              {stateOf(key) === 'active' ? <RowActions item={key} actions={actions} /> : <td />}
            </tr>
          )}
        />
      </Section>
      <Section title="New API key">
        <ActionForm action={create} submit="Create API key" label="New API key">
          <div className="grid">
            <TextField label="Key name" value={name} required onChange={setName} placeholder="billing service" />
            <TextField label="Confine to application" value={appId} hint="Optional: an application id or uid" onChange={setAppId} />
            <TextField label="Expires in (days)" type="number" value={expiresInDays} hint="Empty: never" onChange={setExpiresInDays} />
          </div>
          <ScopePicker scopes={scopes} onChange={setScopes} />
        </ActionForm>
      </Section>
    </>
  );
}

/** Clients for the `client_credentials` grant, which can also sign in to this dashboard. */
function OAuthClients() {
  const { api } = useDashboard();
  const path = '/api/v1/oauth-client';
  const clients = usePaged((iterator, signal) => api.page<OAuthClient>(path, { limit: 25, order: 'descending' }, iterator, signal), []);
  const reveal = (created: OAuthClient & Record<string, unknown>): Shown => ({
    title: `Secret of ${created.name} (client ID ${created.id})`,
    label: 'The new client secret',
    value: String(created.secret),
  });
  const actions = useCredentialActions(path, clients, reveal, 'secret/rotate');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['message:write']);
  const [appId, setAppId] = useState('');
  const create = useAction(async () => {
    actions.setShown(reveal(await api.post<OAuthClient & Record<string, unknown>>(path, { name: name.trim(), scopes, appId: appId.trim() || null })));
    setName('');
    clients.first();
    clients.reload();
  });

  return (
    <>
      {actions.shown && <ShownOnce shown={actions.shown} onDone={() => actions.setShown(null)} />}
      <Section title="OAuth clients">
        <ErrorBox error={actions.rotate.error ?? actions.revoke.error} />
        <PagedTable
          paged={clients}
          caption="OAuth clients"
          head={['Name', 'Client ID', 'Scopes', 'Application', 'State', 'Created', '']}
          empty="No OAuth client yet."
          row={(client) => (
            <tr key={client.id}>
              <td>{client.name}</td>
              <td>
                <code>{client.id}</code>
              </td>
              <td>{client.scopes.join(' ')}</td>
              <td>{client.appId ?? <span className="muted">all</span>}</td>
              <td>
                <Badge value={stateOf(client)} />
              </td>
              <td>
                <Time value={client.createdAt} />
              </td>
              {stateOf(client) === 'active' ? <RowActions item={client} actions={actions} /> : <td />}
            </tr>
          )}
        />
      </Section>
      <Section title="New OAuth client">
        <ActionForm action={create} submit="Create OAuth client" label="New OAuth client">
          <div className="grid">
            <TextField label="Client name" value={name} required onChange={setName} placeholder="reporting job" />
            <TextField label="Confine client to application" value={appId} hint="Optional: an application id or uid" onChange={setAppId} />
          </div>
          <ScopePicker scopes={scopes} onChange={setScopes} />
        </ActionForm>
      </Section>
    </>
  );
}
