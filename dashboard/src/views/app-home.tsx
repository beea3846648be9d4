import { useState } from 'react';
import { seg } from '../api/client';
import { mapLimit } from '../api/concurrency';
import type { Application, Endpoint, Message, Page } from '../api/types';
import { ActionForm, Badge, Checkbox, CopyButton, ErrorBox, PagedTable, Section, TextArea, TextField, parseJsonInput } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, usePaged, useResource } from '../hooks';
import { Link, navigate } from '../router';
import { ApplicationFields, applicationBody, draftOf } from './applications';

export interface EndpointDraft {
  url: string;
  description: string;
  filterTypes: string;
  channels: string;
  throttleRate: string;
}

export const endpointDraftOf = (endpoint?: Endpoint): EndpointDraft => ({
  url: endpoint?.url ?? '',
  description: endpoint?.description ?? '',
  filterTypes: endpoint?.filterTypes?.join(', ') ?? '',
  channels: endpoint?.channels?.join(', ') ?? '',
  throttleRate: endpoint?.throttleRate?.toString() ?? '',
});

const list = (text: string) => {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  return items.length > 0 ? items : null;
};

export const endpointBody = (draft: EndpointDraft) => ({
  url: draft.url.trim(),
  description: draft.description,
  filterTypes: list(draft.filterTypes),
  channels: list(draft.channels),
  throttleRate: draft.throttleRate.trim() === '' ? null : Number(draft.throttleRate),
});

export function EndpointFields({ draft, onChange }: { draft: EndpointDraft; onChange: (draft: EndpointDraft) => void }) {
  return (
    <div className="grid">
      <TextField label="Endpoint URL" type="url" value={draft.url} required placeholder="https://example.com/webhooks" onChange={(url) => onChange({ ...draft, url })} />
      <TextField label="Description" value={draft.description} onChange={(description) => onChange({ ...draft, description })} />
      <TextField label="Event types" value={draft.filterTypes} hint="Comma-separated; empty: every event type" onChange={(filterTypes) => onChange({ ...draft, filterTypes })} />
      <TextField label="Channels" value={draft.channels} hint="Comma-separated; empty: every channel" onChange={(channels) => onChange({ ...draft, channels })} />
      <TextField
        label="Throttle rate"
        type="number"
        value={draft.throttleRate}
        hint="Messages per second; empty: no limit"
        onChange={(throttleRate) => onChange({ ...draft, throttleRate })}
      />
    </div>
  );
}

/** An application's home: its settings and portal link (operators), its endpoints, a message publisher. */
export function AppHome({ appId }: { appId: string }) {
  const { api, mode, session, appBase } = useDashboard();
  const app = useResource((signal) => api.get<Application>(`/api/v1/app/${seg(appId)}`, undefined, signal), [appId]);
  const operator = mode === 'operator';

  return (
    <div className="page">
      <div className="page-head">
        <h1>{operator ? (app.data?.name ?? 'Application') : 'Endpoints'}</h1>
        <Link className="button" to={`${appBase(appId)}/messages`}>
          Messages
        </Link>
      </div>
      <ErrorBox error={app.error} />
      {operator && app.data && (
        <p className="muted">
          <code>{app.data.id}</code>
          {app.data.uid && (
            <>
              {' '}
              · uid <code>{app.data.uid}</code>
            </>
          )}
        </p>
      )}
      <Endpoints appId={appId} />
      {operator && session.can('message:write') && <Publish appId={appId} />}
      {operator && app.data && session.can('app:write') && <EditApplication app={app.data} onSaved={app.reload} />}
      {operator && <PortalAccess appId={appId} />}
    </div>
  );
}

function Endpoints({ appId }: { appId: string }) {
  const { api, session, appBase } = useDashboard();
  const base = `/api/v1/app/${seg(appId)}/endpoint`;
  // The list has no health; each endpoint of the page shown is read for its breaker state, a few at a time.
  const endpoints = usePaged(
    async (iterator, signal) => {
      const page = await api.page<Endpoint>(base, { limit: 20 }, iterator, signal);
      const detailed = await mapLimit(page.data, 4, (endpoint) => api.get<Endpoint>(`${base}/${seg(endpoint.id)}`, undefined, signal));
      return { ...page, data: detailed } satisfies Page<Endpoint>;
    },
    [appId],
  );
  const [draft, setDraft] = useState(endpointDraftOf());
  const create = useAction(async () => {
    const endpoint = await api.post<Endpoint>(base, endpointBody(draft));
    navigate(`${appBase(appId)}/endpoints/${seg(endpoint.id)}`);
  });

  return (
    <>
      <Section title="Endpoints">
        <PagedTable
          paged={endpoints}
          caption="Endpoints"
          head={['URL', 'State', 'Circuit', 'Failures in a row', 'Event types']}
          empty="No endpoint yet."
          row={(endpoint) => (
            <tr key={endpoint.id}>
              <td>
                <Link to={`${appBase(appId)}/endpoints/${seg(endpoint.id)}`}>{endpoint.url}</Link>
                {endpoint.description && <div className="muted">{endpoint.description}</div>}
              </td>
              <td>
                <Badge value={endpoint.disabled ? 'disabled' : 'enabled'} />
              </td>
              <td>{endpoint.health ? <Badge value={endpoint.health.circuitState} /> : '—'}</td>
              <td>{endpoint.health?.consecutiveFailures ?? '—'}</td>
              <td>{endpoint.filterTypes?.join(', ') ?? <span className="muted">all</span>}</td>
            </tr>
          )}
        />
      </Section>
      {session.can('endpoint:write') && (
        <Section title="New endpoint">
          <ActionForm action={create} submit="Create endpoint" label="New endpoint">
            <EndpointFields draft={draft} onChange={setDraft} />
          </ActionForm>
        </Section>
      )}
    </>
  );
}

function Publish({ appId }: { appId: string }) {
  const { api, appBase } = useDashboard();
  const [eventType, setEventType] = useState('');
  const [eventId, setEventId] = useState('');
  const [payload, setPayload] = useState('{\n  "hello": "world"\n}');
  const publish = useAction(async () => {
    const body = { eventType: eventType.trim(), payload: parseJsonInput(payload, 'Payload'), eventId: eventId.trim() || null };
    const message = await api.post<Message>(`/api/v1/app/${seg(appId)}/msg`, body);
    navigate(`${appBase(appId)}/messages/${seg(message.id)}`);
  });
  return (
    <Section title="Publish a message">
      <ActionForm action={publish} submit="Publish message" label="Publish a message">
        <div className="grid">
          <TextField label="Event type" value={eventType} required placeholder="user.signup" onChange={setEventType} />
          <TextField label="Event ID" value={eventId} hint="Optional: your own id, unique within the application" onChange={setEventId} />
        </div>
        <TextArea label="Payload (JSON)" value={payload} onChange={setPayload} />
      </ActionForm>
    </Section>
  );
}

function EditApplication({ app, onSaved }: { app: Application; onSaved: () => void }) {
  const { api } = useDashboard();
  const [draft, setDraft] = useState(draftOf(app));
  const save = useAction(async () => {
    await api.patch(`/api/v1/app/${seg(app.id)}`, applicationBody(draft));
    onSaved();
  });
  const remove = useAction(async () => {
    if (!window.confirm(`Delete the application ${app.name}, with its endpoints and messages?`)) return;
    await api.delete(`/api/v1/app/${seg(app.id)}`);
    navigate('/dashboard/apps');
  });
  return (
    <Section
      title="Application settings"
      actions={
        <button type="button" className="danger" onClick={() => void remove.run()} disabled={remove.busy}>
          Delete application
        </button>
      }
    >
      <ErrorBox error={remove.error} />
      <ActionForm action={save} submit="Save application" label="Application settings">
        <ApplicationFields draft={draft} onChange={setDraft} />
      </ActionForm>
    </Section>
  );
}

/** A link to the consumer portal for this application, to hand to its owner or embed in an iframe. */
function PortalAccess({ appId }: { appId: string }) {
  const { api } = useDashboard();
  const [readOnly, setReadOnly] = useState(false);
  const [link, setLink] = useState<string | null>(null);
  const create = useAction(async () => {
    const access = await api.post<{ url: string }>(`/api/v1/auth/app-portal-access/${seg(appId)}`, { readOnly });
    setLink(access.url);
  });
  return (
    <Section title="Consumer portal">
      <p className="muted">A link that opens this application's endpoints and messages, and nothing else, for 7 days.</p>
      <ActionForm action={create} submit="Create portal link" label="Consumer portal">
        <Checkbox label="Read-only" checked={readOnly} onChange={setReadOnly} />
      </ActionForm>
      {link && (
        <div className="secret-box">
          <TextArea label="Portal link" value={link} rows={2} />
          <div className="actions">
            <CopyButton text={link} label="Copy link" />
            <a className="button" href={link} target="_blank" rel="noopener noreferrer">
              Open portal
            </a>
          </div>
        </div>
      )}
    </Section>
  );
}
