import { useState } from 'react';
import { seg } from '../api/client';
import { waitForTask } from '../api/tasks';
import { INBOUND_STATES, type BackgroundTask, type Endpoint, type InboundEvent, type InboundState, type Source } from '../api/types';
import {
  ActionForm,
  Badge,
  Checkbox,
  CopyButton,
  ErrorBox,
  Notice,
  PagedTable,
  Section,
  Select,
  TextArea,
  TextField,
  Time,
  isoToLocal,
  localToIso,
  parseJsonInput,
} from '../components/ui';
import { useDashboard } from '../context';
import { useAction, useInterval, usePaged, useResource } from '../hooks';
import { Link, navigate, setQuery, useLocation } from '../router';

/** The verification schemes a source may use (docs/inbound). */
const SOURCE_TYPES = [
  'stripe',
  'github',
  'shopify',
  'slack',
  'twilio',
  'svix',
  'standard-webhooks',
  'paddle',
  'square',
  'linear',
  'zoom',
  'intercom',
  'hubspot',
  'discord',
  'sendgrid',
  'mailgun',
  'hmac',
  'basic-auth',
  'api-key',
  'generic-webhook',
] as const;

/** Events that can be forwarded again; duplicates, rejections and quarantined events cannot (release those). */
export const REPLAYABLE: readonly InboundState[] = ['received', 'processed', 'failed'];

export const sourcePath = (sourceId: string) => `/ingest/api/v1/source/${seg(sourceId)}`;

/** Inbound sources: where providers post their webhooks, verified, stored and forwarded. */
export function Sources() {
  const { api, session } = useDashboard();
  const sources = usePaged((iterator, signal) => api.page<Source>('/ingest/api/v1/source', { limit: 25 }, iterator, signal), []);
  const [name, setName] = useState('');
  const [type, setType] = useState<string>('generic-webhook');
  const [config, setConfig] = useState('{}');
  const create = useAction(async () => {
    const source = await api.post<Source>('/ingest/api/v1/source', { name: name.trim(), type, config: parseJsonInput(config, 'Config') });
    navigate(`/dashboard/sources/${seg(source.id)}`);
  });
  return (
    <div className="page">
      <h1>Inbound sources</h1>
      <Section title="Sources">
        <PagedTable
          paged={sources}
          caption="Sources"
          head={['Name', 'Type', 'Ingest URL', 'Created']}
          empty="No source yet."
          row={(source) => (
            <tr key={source.id}>
              <td>
                <Link to={`/dashboard/sources/${seg(source.id)}`}>{source.name}</Link>
              </td>
              <td>{source.type}</td>
              <td className="url">
                <code>{source.ingestUrl}</code>
              </td>
              <td>
                <Time value={source.createdAt} />
              </td>
            </tr>
          )}
        />
      </Section>
      {session.can('source:write') && (
        <Section title="New source">
          <ActionForm action={create} submit="Create source" label="New source">
            <div className="grid">
              <TextField label="Source name" value={name} required onChange={setName} placeholder="Stripe" />
              <Select
                label="Type"
                value={type}
                onChange={(value) => {
                  setType(value);
                  if (config === '{}' && value !== 'generic-webhook') setConfig('{\n  "secret": ""\n}');
                }}
                options={SOURCE_TYPES.map((value) => [value, value] as const)}
              />
            </div>
            <TextArea
              label="Config (JSON)"
              value={config}
              rows={4}
              hint='What the scheme needs, usually {"secret": "…"}; secrets are stored encrypted and never shown again.'
              onChange={setConfig}
            />
          </ActionForm>
        </Section>
      )}
    </div>
  );
}

/** One source: its ingest URL, destinations, and received events by state, with replay and release. */
export function SourceView({ sourceId }: { sourceId: string }) {
  const { api, session } = useDashboard();
  const path = sourcePath(sourceId);
  const source = useResource((signal) => api.get<Source>(path, undefined, signal), [path]);
  const writable = session.can('source:write');
  const rotate = useAction(async () => {
    if (!window.confirm('Rotate the ingest URL? The current one keeps working for 24 hours.')) return;
    await api.post(`${path}/token/rotate`, {});
    source.reload();
  });
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/dashboard/sources">Inbound sources</Link> / <span aria-current="page">{source.data?.name ?? sourceId}</span>
      </nav>
      <h1>{source.data?.name ?? 'Source'}</h1>
      <ErrorBox error={source.error ?? rotate.error} />
      {source.data && (
        <Section title="Ingest URL">
          <p className="secret-box">
            <code>{source.data.ingestUrl}</code> <CopyButton text={source.data.ingestUrl} />{' '}
            {writable && (
              <button type="button" className="small" onClick={() => void rotate.run()}>
                Rotate URL
              </button>
            )}
          </p>
          <p className="muted">
            Type <code>{source.data.type}</code> · dedup window {source.data.dedup.windowSeconds} s · <code>{source.data.id}</code>
          </p>
        </Section>
      )}
      <Events sourceId={sourceId} />
      <Destinations sourceId={sourceId} />
      {writable && <BulkReplay sourceId={sourceId} />}
    </div>
  );
}

function Events({ sourceId }: { sourceId: string }) {
  const { api, session } = useDashboard();
  const { search } = useLocation();
  const state = search.get('state') ?? '';
  const path = sourcePath(sourceId);
  const events = usePaged((iterator, signal) => api.page<InboundEvent>(`${path}/event`, { limit: 25, state: state ? [state] : undefined }, iterator, signal), [path, state]);
  useInterval(() => events.cursor === null && events.reload(), 5000);
  const act = useAction(async (event: InboundEvent, action: 'replay' | 'release') => {
    await api.post(`${path}/event/${seg(event.id)}/${action}`, {});
    events.reload();
  });
  return (
    <Section title="Events">
      <div className="tabs" role="group" aria-label="Filter events by state">
        {['', ...INBOUND_STATES].map((value) => (
          <button key={value || 'all'} type="button" aria-pressed={state === value} onClick={() => setQuery({ state: value })}>
            {value || 'all'}
          </button>
        ))}
      </div>
      <ErrorBox error={act.error} />
      <PagedTable
        paged={events}
        caption="Events"
        head={['Event', 'State', 'Event type', 'Received', 'Replays', '']}
        empty={`No event${state ? ` in state ${state}` : ''}.`}
        row={(event) => (
          <tr key={event.id}>
            <td>
              <Link to={`/dashboard/sources/${seg(sourceId)}/events/${seg(event.id)}`}>
                <code>{event.id}</code>
              </Link>
            </td>
            <td>
              <Badge value={event.state} />
              {event.stateReason && <div className="muted">{event.stateReason}</div>}
            </td>
            <td>{event.eventType ?? <span className="muted">—</span>}</td>
            <td>
              <Time value={event.receivedAt} />
            </td>
            <td>{event.replays}</td>
            <td className="row-actions">
              {session.can('source:write') && REPLAYABLE.includes(event.state) && (
                <button type="button" className="small" aria-label={`Replay ${event.id}`} onClick={() => void act.run(event, 'replay')}>
                  Replay
                </button>
              )}
              {session.can('source:write') && event.state === 'quarantined' && (
                <button type="button" className="small" aria-label={`Release ${event.id}`} onClick={() => void act.run(event, 'release')}>
                  Release
                </button>
              )}
            </td>
          </tr>
        )}
      />
    </Section>
  );
}

/** Where the source's events are forwarded: endpoints owned by the source. */
function Destinations({ sourceId }: { sourceId: string }) {
  const { api, session } = useDashboard();
  const path = `${sourcePath(sourceId)}/endpoint`;
  const destinations = usePaged((iterator, signal) => api.page<Endpoint>(path, { limit: 25 }, iterator, signal), [path]);
  const [url, setUrl] = useState('');
  const add = useAction(async () => {
    await api.post(path, { url: url.trim() });
    setUrl('');
    destinations.reload();
  });
  const remove = useAction(async (endpoint: Endpoint) => {
    if (!window.confirm(`Stop forwarding to ${endpoint.url}?`)) return;
    await api.delete(`${path}/${seg(endpoint.id)}`);
    destinations.reload();
  });
  return (
    <Section title="Destinations">
      <ErrorBox error={remove.error} />
      <PagedTable
        paged={destinations}
        caption="Destinations"
        head={['URL', 'State', 'Event types', '']}
        empty="No destination: events are stored and marked processed."
        row={(endpoint) => (
          <tr key={endpoint.id}>
            <td className="url">{endpoint.url}</td>
            <td>
              <Badge value={endpoint.disabled ? 'disabled' : 'enabled'} />
            </td>
            <td>{endpoint.filterTypes?.join(', ') ?? 'all'}</td>
            <td>
              {session.can('source:write') && (
                <button type="button" className="small" aria-label={`Remove destination ${endpoint.url}`} onClick={() => void remove.run(endpoint)}>
                  Remove
                </button>
              )}
            </td>
          </tr>
        )}
      />
      {session.can('source:write') && (
        <ActionForm action={add} submit="Add destination" label="Add a destination">
          <TextField label="Destination URL" type="url" value={url} required onChange={setUrl} placeholder="https://billing.internal.example/stripe" />
        </ActionForm>
      )}
    </Section>
  );
}

/** Replays every event matching states and a time range, as a background task. */
function BulkReplay({ sourceId }: { sourceId: string }) {
  const { api } = useDashboard();
  const [states, setStates] = useState<InboundState[]>(['failed']);
  const [since, setSince] = useState(() => isoToLocal(new Date(Date.now() - 86_400_000)));
  const [task, setTask] = useState<BackgroundTask | null>(null);
  const replay = useAction(async () => {
    const started = await api.post<{ id: string }>(`${sourcePath(sourceId)}/event/replay`, { states, since: localToIso(since) });
    setTask({ id: started.id, status: 'running', task: 'source.replay' });
    setTask(await waitForTask(api, started.id));
  });
  return (
    <Section title="Replay many">
      <ActionForm action={replay} submit="Replay matching events" label="Replay many events">
        <fieldset className="inline">
          <legend>States</legend>
          {REPLAYABLE.map((state) => (
            <Checkbox key={state} label={state} checked={states.includes(state)} onChange={(on) => setStates(on ? [...states, state] : states.filter((one) => one !== state))} />
          ))}
        </fieldset>
        <TextField label="Received since" type="datetime-local" value={since} onChange={setSince} />
      </ActionForm>
      {task && (
        <Notice>
          Replay {task.status}
          {task.data ? `: ${task.data.requeued} event(s) forwarded again` : '…'}
        </Notice>
      )}
    </Section>
  );
}
