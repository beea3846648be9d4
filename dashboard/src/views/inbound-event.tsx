import { useState } from 'react';
import { seg } from '../api/client';
import type { Attempt, InboundEvent } from '../api/types';
import { Badge, Checkbox, DeliveryBadge, Empty, ErrorBox, Json, Loading, PagedTable, Section, Table, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, useInterval, usePaged, useResource } from '../hooks';
import { Link } from '../router';
import { AttemptRows, attemptHead, prettyBody } from './attempts';
import { REPLAYABLE, sourcePath } from './sources';

/** A received webhook: the request as it arrived, its body, its state and why, each destination, every attempt. */
export function InboundEventView({ sourceId, eventId }: { sourceId: string; eventId: string }) {
  const { api, session } = useDashboard();
  const path = `${sourcePath(sourceId)}/event/${seg(eventId)}`;
  const event = useResource((signal) => api.get<InboundEvent>(path, undefined, signal), [path]);
  const attempts = usePaged((iterator, signal) => api.page<Attempt>(`${path}/attempt`, { limit: 20 }, iterator, signal), [path]);
  useInterval(() => {
    event.reload();
    if (attempts.cursor === null) attempts.reload();
  }, 4000);
  const [force, setForce] = useState(false);
  const [openAttempt, setOpenAttempt] = useState<string | null>(null);
  const act = useAction(async (action: 'replay' | 'release') => {
    await api.post(`${path}/${action}`, action === 'release' ? { force } : {});
    event.reload();
  });
  const data = event.data;
  const writable = session.can('source:write');

  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`/dashboard/sources/${seg(sourceId)}`}>Source</Link> / <span aria-current="page">{eventId}</span>
      </nav>
      <h1>
        Event <code>{eventId}</code>
      </h1>
      <ErrorBox error={event.error ?? act.error} />
      {!data && !event.error && <Loading />}
      {data && (
        <>
          <p>
            <Badge value={data.state} /> {data.stateReason && <span className="muted">{data.stateReason}</span>}
          </p>
          {writable && (
            <div className="actions">
              {REPLAYABLE.includes(data.state) && (
                <button type="button" onClick={() => void act.run('replay')} disabled={act.busy}>
                  Replay event
                </button>
              )}
              {data.state === 'quarantined' && (
                <>
                  <Checkbox label="Forward even if the payload still fails its schema" checked={force} onChange={setForce} />
                  <button type="button" onClick={() => void act.run('release')} disabled={act.busy}>
                    Release event
                  </button>
                </>
              )}
            </div>
          )}
          {data.validationErrors && data.validationErrors.length > 0 && (
            <Section title="Schema violations">
              <ul>
                {data.validationErrors.map((issue, index) => (
                  <li key={index}>
                    <code>{issue.path || '/'}</code>: {issue.message}
                  </li>
                ))}
              </ul>
            </Section>
          )}
          <div className="columns">
            <Section title="Request">
              <dl className="facts">
                <dt>Received</dt>
                <dd>
                  <Time value={data.receivedAt} />
                </dd>
                <dt>Method</dt>
                <dd>{data.request.method}</dd>
                <dt>Event type</dt>
                <dd>{data.eventType ?? '—'}</dd>
                <dt>Provider event id</dt>
                <dd>{data.providerEventId ?? '—'}</dd>
                <dt>Duplicate of</dt>
                <dd>{data.duplicateOf ? <Link to={`/dashboard/sources/${seg(sourceId)}/events/${seg(data.duplicateOf)}`}>{data.duplicateOf}</Link> : '—'}</dd>
                <dt>Replays</dt>
                <dd>{data.replays}</dd>
                <dt>Size</dt>
                <dd>{data.request.bodySize} bytes</dd>
              </dl>
              <Json value={data.request.headers} label="Request headers" />
            </Section>
            <Section title="Body">
              {data.body ? (
                <Json value={data.body.encoding === 'utf8' ? prettyBody(data.body.data) : `base64: ${data.body.data}`} label="Request body" />
              ) : (
                <Empty>The body is not kept (rejected, or past its retention).</Empty>
              )}
            </Section>
          </div>
          {data.destinations && data.destinations.length > 0 && (
            <Section title="Destinations">
              <Table caption="Destinations of the event" head={['Destination', 'Status', 'Next attempt']}>
                {data.destinations.map((destination) => (
                  <tr key={destination.endpointId}>
                    <td>
                      <code>{destination.endpointId}</code>
                    </td>
                    <td>
                      <DeliveryBadge status={destination.status} />
                    </td>
                    <td>
                      <Time value={destination.nextAttempt} />
                    </td>
                  </tr>
                ))}
              </Table>
            </Section>
          )}
        </>
      )}
      <Section title="Forwarding attempts">
        <PagedTable
          paged={attempts}
          caption="Forwarding attempts"
          head={attemptHead('URL')}
          empty="No attempt yet."
          row={(attempt) => (
            <AttemptRows key={attempt.id} attempt={attempt} open={openAttempt === attempt.id} onToggle={() => setOpenAttempt(openAttempt === attempt.id ? null : attempt.id)}>
              <td className="url">{attempt.url}</td>
            </AttemptRows>
          )}
        />
      </Section>
    </div>
  );
}
