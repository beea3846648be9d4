import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** A message body of about 1 KiB whose first field is its sequence number, which the receiver reads. */
export function payloadOf(seq: number): Record<string, unknown> {
  return { seq, type: 'invoice.paid', customer: `cus_${seq.toString(36).padStart(8, '0')}`, note: 'x'.repeat(960) };
}

export interface Publisher {
  /** Sends message `seq`; resolves when the publish was acknowledged (2xx), rejects otherwise. */
  publish(seq: number): Promise<void>;
  close(): Promise<void>;
}

/** POSTs JSON bodies over a pool of keep-alive connections, as a busy SaaS backend would. */
export function httpPublisher(origin: string, path: string, bodyOf: (seq: number) => string, headers: Record<string, string>, connections: number): Publisher {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  return {
    async publish(seq) {
      const response = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: bodyOf(seq) });
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`publish ${seq}: ${response.statusCode} ${text.slice(0, 200)}`);
    },
    close: () => pool.close(),
  };
}

export interface ClosedLoopResult {
  /** performance.now() when the first request was sent. */
  startedAt: number;
  /** When the last acknowledgement arrived. */
  finishedAt: number;
  ackLatenciesMs: number[];
}

/** Publishes seq `from`…`from + count - 1` from `concurrency` clients, each sending its next as soon as one is acked. */
export async function closedLoop(publisher: Publisher, count: number, concurrency: number, from = 0): Promise<ClosedLoopResult> {
  const ackLatenciesMs: number[] = [];
  let next = from;
  const end = from + count;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < end) {
        const seq = next++;
        const sent = performance.now();
        await publisher.publish(seq);
        ackLatenciesMs.push(performance.now() - sent);
      }
    }),
  );
  return { startedAt, finishedAt: performance.now(), ackLatenciesMs };
}

export interface OpenLoopResult {
  sentAt: Map<number, number>;
  ackLatenciesMs: number[];
  failures: number;
}

/**
 * Sends at a fixed rate whatever the answers (open loop), so that a slow answer shows up as latency instead of
 * quietly lowering the rate; each send time is kept for publish→receipt latency.
 */
export async function openLoop(publisher: Publisher, ratePerSecond: number, seconds: number, from = 0): Promise<OpenLoopResult> {
  const total = Math.round(ratePerSecond * seconds);
  const intervalMs = 1000 / ratePerSecond;
  const sentAt = new Map<number, number>();
  const ackLatenciesMs: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < total; i++) {
    const due = startedAt + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const seq = from + i;
    const sent = performance.now();
    sentAt.set(seq, sent);
    inFlight.push(
      publisher.publish(seq).then(
        () => void ackLatenciesMs.push(performance.now() - sent),
        () => void (failures += 1),
      ),
    );
  }
  await Promise.all(inFlight);
  return { sentAt, ackLatenciesMs, failures };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** CPU seconds (user + system) the processes have used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return Number.NaN;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds (user + system) of each process that can still be read; one that has exited is left out. */
export function cpuByPid(pids: readonly number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    const used = cpuSeconds([pid]);
    if (Number.isFinite(used)) seconds.set(pid, used);
  }
  return seconds;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100;
