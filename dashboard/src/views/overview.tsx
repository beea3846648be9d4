import { useCallback, useEffect, useRef, useState } from 'react';
import { seg } from '../api/client';
import { mapLimit } from '../api/concurrency';
import type { Application, Endpoint, EndpointStats, Page, Stats } from '../api/types';
import { TimeChart } from '../components/chart';
import { Badge, Empty, ErrorBox, Section, Table, Time } from '../components/ui';
import { useDashboard } from '../context';
import { useInterval } from '../hooks';
import { Link } from '../router';

const RANGES = [
  { key: '15m', label: 'Last 15 minutes', bucketMs: 60_000, windows: 15 },
  { key: '1h', label: 'Last hour', bucketMs: 5 * 60_000, windows: 12 },
  { key: '24h', label: 'Last 24 hours', bucketMs: 3_600_000, windows: 24 },
] as const;
type Range = (typeof RANGES)[number];

const POLL_MS = 15_000;
/** Queue-depth samples kept for the chart (one per poll: half an hour at 15 s). */
const MAX_SAMPLES = 120;
/** The failing-endpoint scan looks at this many applications and endpoints at most, so it stays cheap. */
const SCAN_APPS = 50;
const SCAN_ENDPOINTS = 200;

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
 * The whole installation at a glance, from `GET /api/v1/stats` asked for one time window at a time: deliveries per
 * window by status, success rate and attempt latency over time, queue depth sampled while the page is open, health,
 * and the endpoints that are failing now.
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
  const perMinute = lastComplete ? total(lastComplete) / (range.bucketMs / 60_000) : null;
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
      <dl className="tiles">
        <Tile label="Deliveries / min" value={perMinute === null ? '—' : count(perMinute)} hint={`in the last complete ${bucketName}`} />
        <Tile label="Success rate" value={rate === null ? '—' : `${rate.toFixed(1)}%`} hint={range.label.toLowerCase()} />
        <Tile label="Queue depth" value={depth === null ? '—' : String(depth)} hint="deliveries pending or sending now" />
        <Tile label="Latency p90" value={whole?.attemptLatency.p90 == null ? '—' : millis(whole.attemptLatency.p90)} hint={`${whole?.attemptLatency.count ?? 0} attempts`} />
        <div className="tile">
          <dt>Health</dt>
          <dd>
            <Badge
              value={health.status === 'ok' ? 'success' : health.status === 'degraded' ? 'quarantined' : health.status === 'unhealthy' ? 'fail' : 'unknown'}
              label={health.status}
            />
          </dd>
          {health.detail && <dd className="muted">{health.detail}</dd>}
        </div>
      </dl>
      <div className="charts">
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
      {session.can('endpoint:read') && session.can('app:read') && <FailingEndpoints since={starts[0]!} />}
    </div>
  );
}

function Tile({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <div className="tile">
      <dt>{label}</dt>
      <dd className="value">{value}</dd>
      <dd className="muted">{hint}</dd>
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

interface Failing {
  app: Application;
  endpoint: Endpoint;
  stats: EndpointStats;
}

/**
 * Endpoints whose breaker is not closed, that are failing now, or whose deliveries failed in the range. The API has
 * no cross-application endpoint list, so this walks applications and their endpoints, bounded, a few at a time.
 */
function FailingEndpoints({ since }: { since: number }) {
  const { api } = useDashboard();
  const [found, setFound] = useState<{ failing: Failing[]; scanned: number; truncated: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const sinceIso = new Date(since).toISOString();

  const scan = useCallback(async () => {
    setBusy(true);
    try {
      const apps = await api.get<Page<Application>>('/api/v1/app', { limit: SCAN_APPS });
      const perApp = await mapLimit(apps.data, 4, async (app) => {
        const endpoints = await api.get<Page<Endpoint>>(`/api/v1/app/${seg(app.id)}/endpoint`, { limit: 100 });
        return endpoints.data.map((endpoint) => ({ app, endpoint }));
      });
      const all = perApp.flat();
      const targets = all.slice(0, SCAN_ENDPOINTS);
      const withStats = await mapLimit(targets, 4, async (target) => ({
        ...target,
        stats: await api.get<EndpointStats>(`/api/v1/app/${seg(target.app.id)}/endpoint/${seg(target.endpoint.id)}/stats`, { since: sinceIso }),
      }));
      const failing = withStats
        .filter(({ stats }) => stats.fail > 0 || (stats.health && (stats.health.circuitState !== 'closed' || stats.health.consecutiveFailures > 0)))
        .sort((a, b) => (b.stats.health?.consecutiveFailures ?? 0) - (a.stats.health?.consecutiveFailures ?? 0) || b.stats.fail - a.stats.fail);
      setFound({ failing, scanned: targets.length, truncated: !apps.done || all.length > targets.length });
      setError(null);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }, [api, sinceIso]);

  useEffect(() => {
    void scan();
  }, [scan]);
  useInterval(() => void scan(), 60_000);

  return (
    <Section
      title="Failing endpoints"
      actions={
        <button type="button" onClick={() => void scan()} disabled={busy}>
          {busy ? 'Scanning…' : 'Scan again'}
        </button>
      }
    >
      <ErrorBox error={error} />
      {found && found.failing.length === 0 && <Empty>No failing endpoint among the {found.scanned} checked.</Empty>}
      {found && found.failing.length > 0 && (
        <Table caption="Failing endpoints" head={['Endpoint', 'Application', 'Circuit', 'Consecutive failures', 'Failed in range', 'Failing since']}>
          {found.failing.map(({ app, endpoint, stats }) => (
            <tr key={endpoint.id}>
              <td>
                <Link to={`/dashboard/apps/${seg(app.id)}/endpoints/${seg(endpoint.id)}`}>{endpoint.url}</Link>
              </td>
              <td>{app.name}</td>
              <td>{stats.health ? <Badge value={stats.health.circuitState} /> : '—'}</td>
              <td>{stats.health?.consecutiveFailures ?? '—'}</td>
              <td>{stats.fail}</td>
              <td>
                <Time value={stats.health?.failingSince} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      {found?.truncated && (
        <p className="muted">
          Only the first {SCAN_APPS} applications and {SCAN_ENDPOINTS} endpoints are checked.
        </p>
      )}
    </Section>
  );
}
