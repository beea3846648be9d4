import { useState } from 'react';
import { seg } from '../api/client';
import { ApiError } from '../api/errors';
import type { Destination, Endpoint, EndpointMessage, Message, Page } from '../api/types';
import { DeliveryBadge, ErrorBox, Json, Notice, PagedTable, Section, Select, TextField, Time, isoToLocal, localToIso } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, useInterval, usePaged, useResource } from '../hooks';
import { Link, setQuery, useLocation } from '../router';
import { AttemptList, STATUS_OPTIONS } from './attempts';

interface Filters {
  eventType: string;
  eventId: string;
  after: string;
  before: string;
  endpoint: string;
  status: string;
}

const FILTER_NAMES: (keyof Filters)[] = ['eventType', 'eventId', 'after', 'before', 'endpoint', 'status'];

/**
 * Message search: by event type and time (the message list), by delivery status to one endpoint (that endpoint's
 * messages), or by your own event id (a direct lookup). Filters live in the address, so a search can be shared.
 */
export function Messages({ appId }: { appId: string }) {
  const { api, appBase } = useDashboard();
  const { search } = useLocation();
  const applied = Object.fromEntries(FILTER_NAMES.map((name) => [name, search.get(name) ?? ''])) as unknown as Filters;
  const [draft, setDraft] = useState<Filters>(applied);
  const endpoints = useResource((signal) => api.get<Page<Endpoint>>(`/api/v1/app/${seg(appId)}/endpoint`, { limit: 250 }, signal), [appId]);
  const base = `/api/v1/app/${seg(appId)}`;

  const messages = usePaged<Message | EndpointMessage>(
    async (iterator, signal) => {
      if (applied.eventId) {
        try {
          const one = await api.get<Message>(`${base}/msg/${seg(applied.eventId)}`, { with_content: false }, signal);
          return { data: [one], iterator: null, done: true };
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return { data: [], iterator: null, done: true };
          throw error;
        }
      }
      const query = {
        limit: 25,
        with_content: false,
        event_types: applied.eventType ? [applied.eventType] : undefined,
        after: localToIso(applied.after),
        before: localToIso(applied.before),
      };
      if (applied.endpoint) return api.page<EndpointMessage>(`${base}/endpoint/${seg(applied.endpoint)}/msg`, { ...query, status: applied.status }, iterator, signal);
      return api.page<Message>(`${base}/msg`, query, iterator, signal);
    },
    [appId, ...FILTER_NAMES.map((name) => applied[name])],
  );
  useInterval(() => messages.cursor === null && messages.reload(), 10_000);
  const byEndpoint = applied.endpoint !== '' && !applied.eventId;

  const set = (name: keyof Filters) => (value: string) => setDraft({ ...draft, [name]: value });
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={appBase(appId)}>Endpoints</Link> / <span aria-current="page">Messages</span>
      </nav>
      <h1>Messages</h1>
      <Section title="Search">
        <form
          aria-label="Search messages"
          onSubmit={(event) => {
            event.preventDefault();
            setQuery({ ...draft });
          }}
        >
          <div className="grid">
            <TextField label="Event type" value={draft.eventType} onChange={set('eventType')} placeholder="user.signup" />
            <TextField label="Event ID" value={draft.eventId} onChange={set('eventId')} hint="Your own id for a message; finds exactly that one" />
            <TextField label="After" type="datetime-local" value={draft.after} onChange={set('after')} />
            <TextField label="Before" type="datetime-local" value={draft.before} onChange={set('before')} />
            <Select
              label="Endpoint"
              value={draft.endpoint}
              onChange={set('endpoint')}
              options={[['', 'Any endpoint'], ...(endpoints.data?.data ?? []).map((endpoint) => [endpoint.id, endpoint.url] as const)]}
            />
            <Select label="Delivery status" value={draft.status} onChange={set('status')} options={STATUS_OPTIONS} />
          </div>
          {draft.status && !draft.endpoint && <p className="muted">A delivery status belongs to one endpoint: pick the endpoint too.</p>}
          <div className="actions">
            <button type="submit" className="primary">
              Search
            </button>
            <button
              type="button"
              onClick={() => {
                const cleared = Object.fromEntries(FILTER_NAMES.map((name) => [name, ''])) as unknown as Filters;
                setDraft(cleared);
                setQuery({ ...cleared });
              }}
            >
              Clear
            </button>
            <button type="button" onClick={() => setDraft({ ...draft, after: isoToLocal(new Date(Date.now() - 3_600_000)), before: '' })}>
              Last hour
            </button>
          </div>
        </form>
      </Section>
      <Section title="Results">
        <PagedTable
          paged={messages}
          caption="Messages"
          head={['Message', 'Event type', 'Event ID', 'Created', ...(byEndpoint ? ['Status'] : [])]}
          empty="No message matches."
          row={(message) => (
            <tr key={message.id}>
              <td>
                <Link to={`${appBase(appId)}/messages/${seg(message.id)}`}>
                  <code>{message.id}</code>
                </Link>
              </td>
              <td>{message.eventType}</td>
              <td>{message.eventId ?? <span className="muted">—</span>}</td>
              <td>
                <Time value={message.timestamp} />
              </td>
              {byEndpoint && <td>{'status' in message && <DeliveryBadge status={message.status} />}</td>}
            </tr>
          )}
        />
      </Section>
    </div>
  );
}

/** One message: its payload, where it goes (each endpoint's delivery status, with resend) and every attempt. */
export function MessageView({ appId, msgId }: { appId: string; msgId: string }) {
  const { api, session, appBase } = useDashboard();
  const base = `/api/v1/app/${seg(appId)}/msg/${seg(msgId)}`;
  const message = useResource((signal) => api.get<Message>(base, undefined, signal), [base]);
  const destinations = usePaged((iterator, signal) => api.page<Destination>(`${base}/endpoint`, { limit: 50 }, iterator, signal), [base]);
  useInterval(() => destinations.cursor === null && destinations.reload(), 4000);
  const [notice, setNotice] = useState<string | null>(null);
  const resend = useAction(async (endpoint: Destination) => {
    await api.post(`${base}/endpoint/${seg(endpoint.id)}/resend`);
    setNotice(`Resend to ${endpoint.url} queued.`);
    destinations.reload();
  });

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`${appBase(appId)}/messages`}>Messages</Link> / <span aria-current="page">{msgId}</span>
      </nav>
      <h1>
        Message <code>{msgId}</code>
      </h1>
      <ErrorBox error={message.error} />
      {message.data && (
        <div className="columns">
          <Section title="Details">
            <dl className="facts">
              <dt>Event type</dt>
              <dd>{message.data.eventType}</dd>
              <dt>Event ID</dt>
              <dd>{message.data.eventId ?? '—'}</dd>
              <dt>Created</dt>
              <dd>
                <Time value={message.data.timestamp} />
              </dd>
              <dt>Channels</dt>
              <dd>{message.data.channels?.join(', ') ?? '—'}</dd>
              <dt>Tags</dt>
              <dd>{message.data.tags?.join(', ') ?? '—'}</dd>
            </dl>
          </Section>
          <Section title="Payload">
            <Json value={message.data.payload} label="Message payload" />
          </Section>
        </div>
      )}
      <Section title="Destinations">
        {notice && <Notice>{notice}</Notice>}
        <ErrorBox error={resend.error} />
        <PagedTable
          paged={destinations}
          caption="Destinations"
          head={['Endpoint', 'Status', 'Next attempt', '']}
          empty="No endpoint was sent this message."
          row={(endpoint) => (
            <tr key={endpoint.id}>
              <td>
                <Link to={`${appBase(appId)}/endpoints/${seg(endpoint.id)}`}>{endpoint.url}</Link>
              </td>
              <td>
                <DeliveryBadge status={endpoint.status} />
              </td>
              <td>
                <Time value={endpoint.nextAttempt} />
              </td>
              <td>
                {session.can('message:write') && (
                  <button type="button" className="small" disabled={resend.busy} aria-label={`Resend to ${endpoint.url}`} onClick={() => void resend.run(endpoint)}>
                    Resend
                  </button>
                )}
              </td>
            </tr>
          )}
        />
      </Section>
      <AttemptList appId={appId} path={`/api/v1/app/${seg(appId)}/attempt/msg/${seg(msgId)}`} show="endpoint" />
    </div>
  );
}
