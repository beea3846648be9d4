import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { seg } from '../api/client';
import { mapLimit } from '../api/concurrency';
import { ApiError } from '../api/errors';
import type { FailingEndpoint, Stats } from '../api/types';
import { TimeChart } from '../components/chart';
import { Badge, Empty, ErrorBox, Section, Table, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useInterval } from '../hooks';
import { Link } from '../router';
import { sourcePath } from './sources';

const RANGES = [
  { key: '15m', label: 'Last 15 minutes', bucketMs: 60_000, windows: 15 },
  { key: '1h', label: 'Last hour', bucketMs: 5 * 60_000, windows: 12 },
  { key: '24h', label: 'Last 24 hours', bucketMs: 3_600_000, windows: 24 },
] as const;
type Range = (typeof RANGES)[number];

const POLL_MS = 15_000;
/** Queue-depth samples kept for the chart (one per poll: half an hour at 15 s). */
const MAX_SAMPLES = 120;
/** Failing endpoints shown at most, the longest runs of failures first. */
const FAILING_LIMIT = 50;

const windowStarts = (range: Range, now: number) => {
  const last = Math.floor(now / range.bucketMs) * range.bucketMs;
  return Array.from({ length: range.windows }, (_, index) => last - (range.windows - 1 - index) * range.bucketMs);
};

const total = (stats: Stats) => stats.success + stats.fail + stats.pending + stats.sending + stats.canceled;
const successRate = (stats: { success: number; fail: number }) => (stats.success + stats.fail === 0 ? null : (stats.success / (stats.success + stats.fail)) * 100);
const percent = (value: number) => `${Math.round(value)}%`;
const count = (value: number) => (value >= 10_000 ? `${Math.round(value / 1000)}k` : String(Math.round(value * 10) / 10));
const millis = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

type Health = { status: 'ok' | 'degraded' | 'unhealthy' | 'unknown'; detail?: string };

/**
 * The whole installation at a glance, from `GET /api/v1/stats` asked for one time window at a time: messages per
 * minute, deliveries per window by status, success rate and attempt latency over time, queue depth sampled while the
 * page is open, health, and the endpoints that are failing now.
 */
export function Overview() {
  const { api, session } = useDashboard();
  const [range, setRange] = useState<Range>(RANGES[1]);
  const [windows, setWindows] = useState<Map<number, Stats>>(new Map());
  const [whole, setWhole] = useState<Stats | null>(null);
  const [samples, setSamples] = useState<{ at: number; depth: number }[]>([]);
  const [health, setHealth] = useState<Health>({ status: 'unknown' });
  const [error, setError] = useState<unknown>(null);
  const loaded = useRef<Map<number, Stats>>(new Map());

  const poll = useCallback(
    async (fresh: boolean) => {
      if (!session.can('message:read')) return;
      const now = Date.now();
      const starts = windowStarts(range, now);
      if (fresh) loaded.current = new Map();
      // Windows already read keep their numbers, except the newest two, whose deliveries are still settling.
      const wanted = starts.filter((start, index) => !loaded.current.has(start) || index >= starts.length - 2);
      try {
        const [read, rangeStats, allTime, healthAnswer] = await Promise.all([
          mapLimit(wanted, 4, (start) => api.get<Stats>('/api/v1/stats', { since: new Date(start).toISOString(), until: new Date(start + range.bucketMs).toISOString() })),
          api.get<Stats>('/api/v1/stats', { since: new Date(starts[0]!).toISOString() }),
          api.get<Stats>('/api/v1/stats'),
          fetch('/api/v1/health', { cache: 'no-store' }),
        ]);
        const next = new Map([...loaded.current].filter(([start]) => starts.includes(start)));
        wanted.forEach((start, index) => next.set(start, read[index]!));
        loaded.current = next;
        setWindows(next);
        setWhole(rangeStats);
        setSamples((previous) => [...previous, { at: now, depth: allTime.pending + allTime.sending }].slice(-MAX_SAMPLES));
        setHealth(await readHealth(healthAnswer));
        setError(null);
      } catch (failure) {
        setError(failure);
      }
    },
    [api, session, range],
  );

  useEffect(() => {
    void poll(true);
  }, [poll]);
  useInterval(() => void poll(false), POLL_MS);

  if (!session.can('message:read')) {
    return (
      <div className="page">
        <h1>Hookyard</h1>
        <p>This session cannot read delivery statistics. Use the menu to reach what it may see.</p>
      </div>
    );
  }

  const starts = windowStarts(range, Date.now());
  const series = starts.map((start) => windows.get(start) ?? null);
  const lastComplete = series[series.length - 2];
  const bucketMinutes = range.bucketMs / 60_000;
  const perMinute = (value: number) => value / bucketMinutes;
  const rangeName = range.label.toLowerCase();
  const rate = whole ? successRate(whole) : null;
  const depth = samples.length > 0 ? samples[samples.length - 1]!.depth : null;
  const bucketName = range.bucketMs >= 3_600_000 ? 'hour' : range.bucketMs === 60_000 ? 'minute' : `${range.bucketMs / 60_000} minutes`;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((option) => (
            <button key={option.key} type="button" aria-pressed={option.key === range.key} onClick={() => setRange(option)}>
              {option.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorBox error={error} />
      <div className="tiles">
        <Tile
          label="Messages / min"
          value={lastComplete ? count(perMinute(lastComplete.messages)) : '—'}
          hint={`in the last complete ${bucketName}${whole ? `; ${whole.messages} ${whole.messages === 1 ? 'message' : 'messages'} in the ${rangeName}` : ''}`}
        />
        <Tile label="Deliveries / min" value={lastComplete ? count(perMinute(total(lastComplete))) : '—'} hint={`in the last complete ${bucketName}`} />
        <Tile label="Success rate" value={rate === null ? '—' : `${rate.toFixed(1)}%`} hint={rangeName} />
        <Tile label="Queue depth" value={depth === null ? '—' : String(depth)} hint="deliveries pending or sending now" />
        <Tile label="Latency p90" value={whole?.attemptLatency.p90 == null ? '—' : millis(whole.attemptLatency.p90)} hint={`${whole?.attemptLatency.count ?? 0} attempts`} />
        <Tile
          label="Health"
          value={
            <Badge
              value={health.status === 'ok' ? 'success' : health.status === 'degraded' ? 'quarantined' : health.status === 'unhealthy' ? 'fail' : 'unknown'}
              label={health.status}
            />
          }
          hint={health.detail}
        />
      </div>
      <div className="charts">
        <TimeChart
          title={bucketMinutes === 1 ? 'Messages per minute' : `Messages per minute, averaged over each ${bucketName}`}
          kind="line"
          times={starts}
          format={count}
          series={[{ name: 'Messages created', tone: 's-line', values: series.map((stats) => (stats ? perMinute(stats.messages) : null)) }]}
        />
        <TimeChart
          title={`Deliveries created per ${bucketName}, by current status`}
          kind="stacked"
          times={starts}
          format={count}
          series={[
            { name: 'Succeeded', tone: 's-ok', values: series.map((stats) => stats?.success ?? null) },
            { name: 'Failed', tone: 's-bad', values: series.map((stats) => stats?.fail ?? null) },
            { name: 'Pending or sending', tone: 's-wait', values: series.map((stats) => (stats ? stats.pending + stats.sending : null)) },
            { name: 'Canceled', tone: 's-muted', values: series.map((stats) => stats?.canceled ?? null) },
          ]}
        />
        <TimeChart
          title="Success rate"
          kind="line"
          times={starts}
          format={percent}
          fixedMax={100}
          series={[{ name: 'Succeeded of settled deliveries', tone: 's-ok', values: series.map((stats) => (stats ? successRate(stats) : null)) }]}
        />
        <TimeChart
          title="Attempt latency"
          kind="line"
          times={starts}
          format={millis}
          series={[
            { name: 'p50', tone: 's-line', values: series.map((stats) => stats?.attemptLatency.p50 ?? null) },
            { name: 'p90', tone: 's-wait', values: series.map((stats) => stats?.attemptLatency.p90 ?? null) },
            { name: 'p99', tone: 's-bad', values: series.map((stats) => stats?.attemptLatency.p99 ?? null) },
          ]}
        />
        <TimeChart
          title="Queue depth (sampled every 15 s while this page is open)"
          kind="line"
          times={samples.map((sample) => sample.at)}
          format={count}
          series={[{ name: 'Pending or sending', tone: 's-wait', values: samples.map((sample) => sample.depth) }]}
        />
      </div>
      <FailingEndpoints />
    </div>
  );
}

/** One figure, a group named by its label, so it is read (and found) as "Messages / min: 12, in the last …". */
function Tile({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  const labelId = useId();
  return (
    <div className="tile" role="group" aria-labelledby={labelId}>
      <div id={labelId} className="tile-label">
        {label}
      </div>
      <div className={typeof value === 'string' ? 'value' : undefined}>{value}</div>
      {hint && <div className="muted">{hint}</div>}
    </div>
  );
}

async function readHealth(response: Response): Promise<Health> {
  if (response.status === 204) return { status: 'ok' };
  const body = (await response.json().catch(() => ({}))) as { status?: string; queue?: { detail?: string }; redis?: { status?: string } };
  if (response.status === 200 && body.status === 'degraded') {
    return { status: 'degraded', detail: body.queue?.detail ?? (body.redis?.status === 'down' ? 'Redis is down' : undefined) };
  }
  return { status: 'unhealthy', detail: 'the store does not answer' };
}

type Owner = { kind: 'application' | 'source'; name: string };

/** A failing endpoint's owner: an application, or a source (ids `src_…`) whose destination it is. */
const ownerKind = (appId: string): Owner['kind'] => (appId.startsWith('src_') ? 'source' : 'application');

/** Where a failing endpoint is looked after: the application's endpoint page, or the page listing the source's destinations. */
const endpointPage = (failing: FailingEndpoint) =>
  ownerKind(failing.appId) === 'source' ? `/dashboard/sources/${seg(failing.appId)}` : `/dashboard/apps/${seg(failing.appId)}/endpoints/${seg(failing.endpointId)}`;

/**
 * Endpoints of every application and source whose latest attempts failed, the longest run first, from
 * `GET /api/v1/stats/failing-endpoints`. A session without `endpoint:read` across the organisation is told so
 * instead (and never asks, so it leaves no refusals in the audit log).
 */
function FailingEndpoints() {
  const { api, session } = useDashboard();
  const allowed = session.can('endpoint:read');
  const [failing, setFailing] = useState<FailingEndpoint[] | null>(null);
  const [owners, setOwners] = useState<Map<string, Owner>>(new Map());
  const [refused, setRefused] = useState(!allowed);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  /** Owner names already looked up (or given up on): names rarely change, and the list is read every 15 s. */
  const named = useRef<Map<string, Owner>>(new Map());

  const nameOf = useCallback(
    async (appId: string): Promise<Owner> => {
      const kind = ownerKind(appId);
      const readable = kind === 'source' ? session.can('source:read') : session.can('app:read');
      if (!readable) return { kind, name: appId };
      try {
        const owner = await api.get<{ name: string }>(kind === 'source' ? sourcePath(appId) : `/api/v1/app/${seg(appId)}`);
        return { kind, name: owner.name };
      } catch {
        return { kind, name: appId };
      }
    },
    [api, session],
  );

  const load = useCallback(async () => {
    if (!allowed) return;
    setBusy(true);
    try {
      const found = await api.get<{ data: FailingEndpoint[] }>('/api/v1/stats/failing-endpoints', { limit: FAILING_LIMIT });
      const unnamed = [...new Set(found.data.map((one) => one.appId))].filter((appId) => !named.current.has(appId));
      const looked = await mapLimit(unnamed, 4, nameOf);
      unnamed.forEach((appId, index) => named.current.set(appId, looked[index]!));
      setOwners(new Map(named.current));
      setFailing(found.data);
      setError(null);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) setRefused(true);
      else setError(failure);
    } finally {
      setBusy(false);
    }
  }, [api, allowed, nameOf]);

  useEffect(() => {
    void load();
  }, [load]);
  useInterval(() => !refused && void load(), POLL_MS);

  return (
    <Section
      title="Failing endpoints"
      actions={
        !refused && (
          <button type="button" onClick={() => void load()} disabled={busy}>
            Refresh
          </button>
        )
      }
    >
      {refused ? (
        <Empty>This session cannot list failing endpoints: that needs the endpoint:read scope across every application.</Empty>
      ) : (
        <>
          <ErrorBox error={error} />
          {failing?.length === 0 && <Empty>No endpoint is failing.</Empty>}
          {failing && failing.length > 0 && (
            <Table caption="Failing endpoints" head={['Endpoint', 'Owner', 'State', 'Failures in a row', 'Failing since', 'Last failure']}>
              {failing.map((one) => {
                const owner = owners.get(one.appId) ?? { kind: ownerKind(one.appId), name: one.appId };
                return (
                  <tr key={one.endpointId}>
                    <td className="url">
                      <Link to={endpointPage(one)}>{one.url}</Link>
                    </td>
                    <td>
                      {owner.name}
                      <div className="muted">{owner.kind === 'source' ? 'source destination' : 'application'}</div>
                    </td>
                    <td>
                      <Badge value={one.circuitState} label={`circuit ${one.circuitState.replace('_', ' ')}`} /> {one.disabled && <Badge value="disabled" />}
                    </td>
                    <td>{one.consecutiveFailures}</td>
                    <td>
                      <Time value={one.failingSince} />
                    </td>
                    <td>
                      <Time value={one.lastFailureAt} />
                    </td>
                  </tr>
                );
              })}
            </Table>
          )}
          {failing?.length === FAILING_LIMIT && <p className="muted">The {FAILING_LIMIT} longest runs of failures are shown.</p>}
        </>
      )}
    </Section>
  );
}
