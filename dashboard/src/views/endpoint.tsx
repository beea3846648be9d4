import { useState } from 'react';
import { seg } from '../api/client';
import { waitForTask } from '../api/tasks';
import type { BackgroundTask, Endpoint, EndpointStats } from '../api/types';
import { ActionForm, Badge, CopyButton, ErrorBox, Loading, Notice, Section, Table, TextField, Time, isoToLocal, localToIso } from '../components/ui';
import { useDashboard } from '../context';
import { useAction, useInterval, useResource } from '../hooks';
import { Link, navigate } from '../router';
import { EndpointFields, endpointBody, endpointDraftOf } from './app-home';
import { AttemptList } from './attempts';

const DAY_MS = 86_400_000;

/** One endpoint: health and circuit breaker, delivery numbers, settings, secret, headers, recovery and attempts. */
export function EndpointView({ appId, endpointId }: { appId: string; endpointId: string }) {
  const { api, session, appBase } = useDashboard();
  const path = `/api/v1/app/${seg(appId)}/endpoint/${seg(endpointId)}`;
  const endpoint = useResource((signal) => api.get<Endpoint>(path, undefined, signal), [path]);
  useInterval(endpoint.reload, 10_000);
  const writable = session.can('endpoint:write');
  const toggle = useAction(async () => {
    await api.patch(path, { disabled: !endpoint.data?.disabled });
    endpoint.reload();
  });
  const remove = useAction(async () => {
    if (!window.confirm('Delete this endpoint? Its pending deliveries are canceled.')) return;
    await api.delete(path);
    navigate(appBase(appId));
  });

  if (!endpoint.data) return <div className="page">{endpoint.error ? <ErrorBox error={endpoint.error} /> : <Loading />}</div>;
  const data = endpoint.data;
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={appBase(appId)}>Endpoints</Link> / <span aria-current="page">Endpoint</span>
      </nav>
      <div className="page-head">
        <h1 className="url">{data.url}</h1>
        {writable && (
          <div className="actions">
            <button type="button" onClick={() => void toggle.run()} disabled={toggle.busy}>
              {data.disabled ? 'Enable endpoint' : 'Disable endpoint'}
            </button>
            <button type="button" className="danger" onClick={() => void remove.run()} disabled={remove.busy}>
              Delete endpoint
            </button>
          </div>
        )}
      </div>
      <p>
        <Badge value={data.disabled ? 'disabled' : 'enabled'} />{' '}
        {data.health && <Badge value={data.health.circuitState} label={`circuit ${data.health.circuitState.replace('_', '-')}`} />} <code className="muted">{data.id}</code>
      </p>
      {data.description && <p>{data.description}</p>}
      <ErrorBox error={toggle.error ?? remove.error ?? endpoint.error} />
      <div className="columns">
        <Health endpoint={data} />
        <StatsCard path={path} />
      </div>
      <AttemptList appId={appId} path={`/api/v1/app/${seg(appId)}/attempt/endpoint/${seg(endpointId)}`} show="message" />
      {writable && <Settings path={path} endpoint={data} onSaved={endpoint.reload} />}
      {writable && <Secret path={path} />}
      <Headers path={path} writable={writable} />
      {writable && <Recover path={path} />}
    </div>
  );
}

function Health({ endpoint }: { endpoint: Endpoint }) {
  const health = endpoint.health;
  return (
    <Section title="Health">
      {health ? (
        <dl className="facts">
          <dt>Circuit breaker</dt>
          <dd>
            <Badge value={health.circuitState} />
            {health.halfOpensAt && (
              <>
                {' '}
                probe at <Time value={health.halfOpensAt} />
              </>
            )}
          </dd>
          <dt>Failures in a row</dt>
          <dd>{health.consecutiveFailures}</dd>
          <dt>Failing since</dt>
          <dd>
            <Time value={health.failingSince} />
          </dd>
          <dt>Last success</dt>
          <dd>
            <Time value={health.lastSuccessAt} />
          </dd>
          <dt>Last failure</dt>
          <dd>
            <Time value={health.lastFailureAt} />
          </dd>
          <dt>Throttle</dt>
          <dd>{endpoint.throttleRate ? `${endpoint.throttleRate} / s` : 'none'}</dd>
          <dt>Event types</dt>
          <dd>{endpoint.filterTypes?.join(', ') ?? 'all'}</dd>
          <dt>Channels</dt>
          <dd>{endpoint.channels?.join(', ') ?? 'all'}</dd>
        </dl>
      ) : (
        <p className="muted">No health reported.</p>
      )}
    </Section>
  );
}

function StatsCard({ path }: { path: string }) {
  const { api } = useDashboard();
  const since = new Date(Math.floor(Date.now() / 60_000) * 60_000 - DAY_MS).toISOString();
  const stats = useResource((signal) => api.get<EndpointStats>(`${path}/stats`, { since }, signal), [path, since]);
  const data = stats.data;
  return (
    <Section title="Last 24 hours">
      <ErrorBox error={stats.error} />
      {data && (
        <dl className="facts">
          <dt>Succeeded</dt>
          <dd>{data.success}</dd>
          <dt>Failed</dt>
          <dd>{data.fail}</dd>
          <dt>Pending or sending</dt>
          <dd>{data.pending + data.sending}</dd>
          <dt>Canceled</dt>
          <dd>{data.canceled}</dd>
          <dt>Latency p50 / p90 / p99</dt>
          <dd>{data.attemptLatency?.count ? `${data.attemptLatency.p50} / ${data.attemptLatency.p90} / ${data.attemptLatency.p99} ms` : '—'}</dd>
        </dl>
      )}
    </Section>
  );
}

function Settings({ path, endpoint, onSaved }: { path: string; endpoint: Endpoint; onSaved: () => void }) {
  const { api } = useDashboard();
  const [draft, setDraft] = useState(endpointDraftOf(endpoint));
  const save = useAction(async () => {
    await api.patch(path, endpointBody(draft));
    onSaved();
  });
  return (
    <Section title="Settings">
      <ActionForm action={save} submit="Save endpoint" label="Endpoint settings">
        <EndpointFields draft={draft} onChange={setDraft} />
      </ActionForm>
    </Section>
  );
}

/** The signing secret, shown only when asked for; rotation keeps the old one valid for a day. */
function Secret({ path }: { path: string }) {
  const { api } = useDashboard();
  const [secret, setSecret] = useState<string | null>(null);
  const reveal = useAction(async () => setSecret((await api.get<{ key: string }>(`${path}/secret`)).key));
  const rotate = useAction(async () => {
    if (!window.confirm('Rotate the signing secret? The old one keeps signing alongside for 24 hours.')) return;
    await api.post(`${path}/secret/rotate`, {});
    setSecret((await api.get<{ key: string }>(`${path}/secret`)).key);
  });
  return (
    <Section title="Signing secret">
      <ErrorBox error={reveal.error ?? rotate.error} />
      {secret ? (
        <p className="secret-box">
          <code aria-label="Signing secret">{secret}</code> <CopyButton text={secret} />{' '}
          <button type="button" className="small" onClick={() => setSecret(null)}>
            Hide
          </button>
        </p>
      ) : (
        <p className="muted">Hidden. Receivers verify signatures with it (Standard Webhooks).</p>
      )}
      <div className="actions">
        {!secret && (
          <button type="button" onClick={() => void reveal.run()} disabled={reveal.busy}>
            Reveal secret
          </button>
        )}
        <button type="button" onClick={() => void rotate.run()} disabled={rotate.busy}>
          Rotate secret
        </button>
      </div>
    </Section>
  );
}

/** Custom headers sent with every request to the endpoint; sensitive ones are write-only. */
function Headers({ path, writable }: { path: string; writable: boolean }) {
  const { api } = useDashboard();
  const headers = useResource((signal) => api.get<{ headers: Record<string, string>; sensitive: string[] }>(`${path}/headers`, undefined, signal), [path]);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const add = useAction(async () => {
    await api.patch(`${path}/headers`, { headers: { [name.trim()]: value } });
    setName('');
    setValue('');
    headers.reload();
  });
  const remove = useAction(async (header: string) => {
    await api.patch(`${path}/headers`, { headers: { [header]: null } });
    headers.reload();
  });
  const entries = [...Object.entries(headers.data?.headers ?? {}), ...(headers.data?.sensitive ?? []).map((header) => [header, '(sensitive: not shown)'] as const)];
  return (
    <Section title="Custom headers">
      <ErrorBox error={headers.error ?? remove.error} />
      {entries.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <Table caption="Custom headers" head={['Header', 'Value', '']}>
          {entries.map(([header, text]) => (
            <tr key={header}>
              <td>
                <code>{header}</code>
              </td>
              <td>
                <code>{text}</code>
              </td>
              <td>
                {writable && (
                  <button type="button" className="small" aria-label={`Remove header ${header}`} onClick={() => void remove.run(header)}>
                    Remove
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {writable && (
        <ActionForm action={add} submit="Add header" label="Add a header">
          <div className="grid">
            <TextField label="Header name" value={name} required onChange={setName} placeholder="X-Team" />
            <TextField label="Header value" value={value} onChange={setValue} />
          </div>
        </ActionForm>
      )}
    </Section>
  );
}

/** Resends every failed delivery since a time, as a background task. */
function Recover({ path }: { path: string }) {
  const { api } = useDashboard();
  const [since, setSince] = useState(() => isoToLocal(new Date(Date.now() - DAY_MS)));
  const [task, setTask] = useState<BackgroundTask | null>(null);
  const recover = useAction(async () => {
    const started = await api.post<{ id: string }>(`${path}/recover`, { since: localToIso(since) });
    setTask({ id: started.id, status: 'running', task: 'endpoint.recover' });
    setTask(await waitForTask(api, started.id));
  });
  return (
    <Section title="Recover failed messages">
      <ActionForm action={recover} submit="Recover" label="Recover failed messages">
        <TextField label="Failed since" type="datetime-local" value={since} required onChange={setSince} />
      </ActionForm>
      {task && (
        <Notice>
          Recovery {task.status}
          {task.data ? `: ${task.data.requeued} message(s) sent again` : '…'}
        </Notice>
      )}
    </Section>
  );
}
