/**
 * `npm run bench`: Hookyard against the reference stack (Fastify + BullMQ on Redis + a worker process) and the
 * no-storage limit, on this machine, in one run. Prints a table and writes bench/results/<time>.json (and
 * bench/results/latest.json). See docs/benchmarks.md for the method.
 *
 *   npm run bench -- --quick                      smaller counts, for a first look
 *   npm run bench -- --stacks hookyard-sqlite     only some stacks (hookyard-sqlite, hookyard-postgres, reference, limit,
 *                                                 and hookyard-sqlite-main-thread, which only runs when named)
 *   npm run bench -- --scenarios throughput,latency
 *   npm run bench -- --profile                    CPU profiles of the Hookyard process into bench/profiles/
 *   npm run bench -- --repeat 3                   each stack N times, reporting the median of every figure
 *   npm run bench -- --baseline ../old-checkout   also run another checkout of Hookyard, as stack `baseline-sqlite`
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BenchReceiver } from './receiver.js';
import { closedLoop, cpuByPid, cpuSeconds, openLoop, percentile, type Publisher } from './load.js';
import { HookyardStack, postgresAvailable } from './stacks/hookyard.js';
import type { Stack } from './stacks/stack.js';
import { LimitStack, ReferenceStack } from './stacks/targets.js';
import { renderChart } from './chart.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    stacks: { type: 'string' },
    scenarios: { type: 'string' },
    profile: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    baseline: { type: 'string' },
  },
});
const repeat = Math.max(1, Number(values.repeat));

const quick = values.quick!;
const sizes = {
  throughput: quick ? 4000 : 20_000,
  warmup: quick ? 300 : 1000,
  fanoutMessages: quick ? 300 : 1000,
  fanoutEndpoints: 10,
  latencyRate: 500,
  latencySeconds: quick ? 5 : 20,
  recoveryMessages: quick ? 1000 : 5000,
  recoveryDownSeconds: quick ? 4 : 10,
  connections: 64,
};

type Scenario = 'throughput' | 'fanout' | 'latency' | 'recovery';
const scenarios = new Set<Scenario>((values.scenarios?.split(',') as Scenario[] | undefined) ?? ['throughput', 'fanout', 'latency', 'recovery']);

export interface StackResult {
  /**
   * `cpuMsPerMessage`: CPU time of the stack's own processes per message, end to end; `serviceCpuMsPerMessage`: that
   * of the Redis server or PostgreSQL backends it stores in (0 on the embedded store, whose work is in the first).
   */
  throughput?: {
    messages: number;
    publishPerSecond: number;
    endToEndPerSecond: number;
    ackP50Ms: number;
    ackP99Ms: number;
    cpuMsPerMessage: number;
    serviceCpuMsPerMessage: number;
    /** CPU time of this process (the load generator and the receiver) per message: what the stack cannot have. */
    loadCpuMsPerMessage: number;
  };
  fanout?: { messages: number; endpoints: number; deliveriesPerSecond: number; cpuMsPerDelivery: number; serviceCpuMsPerDelivery: number };
  /** CPU figures as for throughput, but at the fixed rate: what a message costs when the stack is not saturated. */
  latency?: {
    rate: number;
    seconds: number;
    ackP50Ms: number;
    ackP99Ms: number;
    receiptP50Ms: number;
    receiptP99Ms: number;
    cpuMsPerMessage: number;
    serviceCpuMsPerMessage: number;
    failures: number;
  };
  recovery?: { messages: number; downSeconds: number; drainSeconds: number };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
let seqBase = 0;
/** Every run of every scenario uses its own sequence numbers and receiver paths. */
function nextRange(count: number): number {
  const from = seqBase;
  seqBase += count + 1000;
  return from;
}

/**
 * Starts counting the CPU time of a stack's processes and, apart, of its services; the returned function reads both,
 * in milliseconds. Service processes that appear meanwhile (a new PostgreSQL backend) count from their start.
 */
async function cpuMeter(stack: Stack): Promise<() => Promise<{ ownMs: number; servicesMs: number; loadMs: number }>> {
  const ownBefore = cpuSeconds(stack.pids());
  const servicesBefore = cpuByPid(await stack.servicePids());
  const loadBefore = process.cpuUsage();
  return async () => {
    const load = process.cpuUsage(loadBefore);
    const ownMs = (cpuSeconds(stack.pids()) - ownBefore) * 1000;
    const after = cpuByPid([...new Set([...servicesBefore.keys(), ...(await stack.servicePids())])]);
    let servicesMs = 0;
    for (const [pid, seconds] of after) servicesMs += (seconds - (servicesBefore.get(pid) ?? 0)) * 1000;
    return { ownMs, servicesMs, loadMs: (load.user + load.system) / 1000 };
  };
}

async function lastReceiptOf(receiver: BenchReceiver, keys: string[]): Promise<number> {
  let last = 0;
  for (const key of keys) last = Math.max(last, receiver.firstSeen.get(key) ?? 0);
  return last;
}

async function withTarget<T>(stack: Stack, receiver: BenchReceiver, paths: string[], work: (publisher: Publisher) => Promise<T>): Promise<T> {
  const publisher = await stack.target(paths.map((path) => `${receiver.url}${path}`), sizes.connections);
  try {
    return await work(publisher);
  } finally {
    await publisher.close();
  }
}

async function throughput(stack: Stack, receiver: BenchReceiver, tag: string): Promise<StackResult['throughput']> {
  const path = `/${tag}/throughput`;
  return withTarget(stack, receiver, [path], async (publisher) => {
    // Warm the JIT, the connections and the store before measuring.
    const warm = nextRange(sizes.warmup);
    await closedLoop(publisher, sizes.warmup, sizes.connections, warm);
    await waitForKeys(receiver, Array.from({ length: sizes.warmup }, (_, i) => `${path}#${warm + i}`));
    const from = nextRange(sizes.throughput);
    const cpu = await cpuMeter(stack);
    const run = await closedLoop(publisher, sizes.throughput, sizes.connections, from);
    const keys = Array.from({ length: sizes.throughput }, (_, i) => `${path}#${from + i}`);
    await waitForKeys(receiver, keys);
    const { ownMs, servicesMs, loadMs } = await cpu();
    const lastReceipt = await lastReceiptOf(receiver, keys);
    return {
      cpuMsPerMessage: round(ownMs / sizes.throughput, 3),
      serviceCpuMsPerMessage: round(servicesMs / sizes.throughput, 3),
      loadCpuMsPerMessage: round(loadMs / sizes.throughput, 3),
      messages: sizes.throughput,
      publishPerSecond: round((sizes.throughput * 1000) / (run.finishedAt - run.startedAt), 0),
      endToEndPerSecond: round((sizes.throughput * 1000) / (lastReceipt - run.startedAt), 0),
      ackP50Ms: round(percentile(run.ackLatenciesMs, 50), 2),
      ackP99Ms: round(percentile(run.ackLatenciesMs, 99), 2),
    };
  });
}

/** Waits until every key has arrived, looking every 10 ms (keys arrive roughly in order, so each look is short). */
async function waitForKeys(receiver: BenchReceiver, keys: string[], timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let arrived = 0;
  for (;;) {
    while (arrived < keys.length && receiver.firstSeen.has(keys[arrived]!)) arrived += 1;
    if (arrived === keys.length) return;
    if (performance.now() > deadline) throw new Error(`${keys.length - arrived} of ${keys.length} messages never arrived`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function fanout(stack: Stack, receiver: BenchReceiver, tag: string): Promise<StackResult['fanout']> {
  const paths = Array.from({ length: sizes.fanoutEndpoints }, (_, i) => `/${tag}/fanout/${i}`);
  return withTarget(stack, receiver, paths, async (publisher) => {
    const from = nextRange(sizes.fanoutMessages);
    const cpu = await cpuMeter(stack);
    const run = await closedLoop(publisher, sizes.fanoutMessages, sizes.connections, from);
    const keys = paths.flatMap((path) => Array.from({ length: sizes.fanoutMessages }, (_, i) => `${path}#${from + i}`));
    await waitForKeys(receiver, keys);
    const { ownMs, servicesMs } = await cpu();
    const lastReceipt = await lastReceiptOf(receiver, keys);
    return {
      cpuMsPerDelivery: round(ownMs / keys.length, 3),
      serviceCpuMsPerDelivery: round(servicesMs / keys.length, 3),
      messages: sizes.fanoutMessages,
      endpoints: paths.length,
      deliveriesPerSecond: round((keys.length * 1000) / (lastReceipt - run.startedAt), 0),
    };
  });
}

async function latency(stack: Stack, receiver: BenchReceiver, tag: string): Promise<StackResult['latency']> {
  const path = `/${tag}/latency`;
  return withTarget(stack, receiver, [path], async (publisher) => {
    const from = nextRange(sizes.latencyRate * sizes.latencySeconds);
    const cpu = await cpuMeter(stack);
    const run = await openLoop(publisher, sizes.latencyRate, sizes.latencySeconds, from);
    const keys = [...run.sentAt.keys()].map((seq) => `${path}#${seq}`);
    await waitForKeys(receiver, keys);
    const { ownMs, servicesMs } = await cpu();
    const receipts = [...run.sentAt].map(([seq, sent]) => receiver.firstSeen.get(`${path}#${seq}`)! - sent);
    return {
      rate: sizes.latencyRate,
      seconds: sizes.latencySeconds,
      ackP50Ms: round(percentile(run.ackLatenciesMs, 50), 2),
      ackP99Ms: round(percentile(run.ackLatenciesMs, 99), 2),
      receiptP50Ms: round(percentile(receipts, 50), 2),
      receiptP99Ms: round(percentile(receipts, 99), 2),
      cpuMsPerMessage: round(ownMs / run.sentAt.size, 3),
      serviceCpuMsPerMessage: round(servicesMs / run.sentAt.size, 3),
      failures: run.failures,
    };
  });
}

/** The receiver goes down, messages keep coming for `downSeconds`, then it is back: how long until all arrived. */
async function recovery(stack: Stack, receiver: BenchReceiver, tag: string): Promise<StackResult['recovery']> {
  const path = `/${tag}/recovery`;
  return withTarget(stack, receiver, [path], async (publisher) => {
    await receiver.stop();
    const downAt = performance.now();
    const from = nextRange(sizes.recoveryMessages);
    await closedLoop(publisher, sizes.recoveryMessages, sizes.connections, from);
    const left = sizes.recoveryDownSeconds * 1000 - (performance.now() - downAt);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    await receiver.restart();
    const upAt = performance.now();
    const keys = Array.from({ length: sizes.recoveryMessages }, (_, i) => `${path}#${from + i}`);
    await waitForKeys(receiver, keys);
    return { messages: sizes.recoveryMessages, downSeconds: sizes.recoveryDownSeconds, drainSeconds: round(((await lastReceiptOf(receiver, keys)) - upAt) / 1000, 2) };
  });
}

/** Retries that come back within seconds, on both stacks alike, so that the drain and not the schedule is measured. */
const RECOVERY_HOOKYARD_ENV = { HOOKYARD_RETRY_SCHEDULE: '1,2,4,8,16,32,64', HOOKYARD_CIRCUIT_BREAKER_COOLDOWN_MS: '1000' };

async function runStack(name: string, factories: Record<string, (recovering: boolean) => Stack>, receiver: BenchReceiver): Promise<StackResult> {
  const factory = factories[name];
  if (!factory) throw new Error(`unknown stack ${name}`);
  const result: StackResult = {};
  const steady = factory(false);
  await steady.start();
  try {
    const tag = name;
    if (scenarios.has('throughput')) result.throughput = await throughput(steady, receiver, tag);
    if (scenarios.has('fanout')) result.fanout = await fanout(steady, receiver, tag);
    if (scenarios.has('latency')) result.latency = await latency(steady, receiver, tag);
  } finally {
    await steady.stop();
  }
  // The limit stores nothing, so it has nothing to recover: with the receiver down its publishes simply fail.
  if (scenarios.has('recovery') && name !== 'limit') {
    const recovering = factory(true);
    await recovering.start();
    try {
      result.recovery = await recovery(recovering, receiver, `${name}-r`);
    } finally {
      await recovering.stop();
    }
  }

  console.log(`# ${name}: ${JSON.stringify(result)}`);
  return result;
}

/** The median of each figure over repeated runs (runs of one stack all have the same shape). */
function median(runs: StackResult[]): StackResult {
  const pick = (values: unknown[]): unknown => {
    if (typeof values[0] === 'number') {
      const sorted = (values as number[]).slice().sort((a, b) => a - b);
      return sorted[Math.floor((sorted.length - 1) / 2)];
    }
    if (values[0] !== null && typeof values[0] === 'object') {
      const keys = Object.keys(values[0] as object);
      return Object.fromEntries(keys.map((key) => [key, pick(values.map((value) => (value as Record<string, unknown>)[key]))]));
    }
    return values[0];
  };
  return pick(runs) as StackResult;
}

async function main(): Promise<void> {
  const wanted = values.stacks?.split(',') ?? ['hookyard-sqlite', 'hookyard-postgres', 'reference', 'limit'];
  if (wanted.includes('hookyard-postgres') && !(await postgresAvailable())) {
    console.log('# PostgreSQL is not reachable: skipping hookyard-postgres');
    wanted.splice(wanted.indexOf('hookyard-postgres'), 1);
  }
  const profileDir = values.profile ? 'bench/profiles' : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const factories: Record<string, (recovering: boolean) => Stack> = {
    'hookyard-sqlite': (recovering) => new HookyardStack({ store: 'sqlite', profileDir, env: recovering ? RECOVERY_HOOKYARD_ENV : {} }),
    'hookyard-postgres': (recovering) => new HookyardStack({ store: 'postgres', profileDir, env: recovering ? RECOVERY_HOOKYARD_ENV : {} }),
    // Not in the default set: the same with delivery exchanges on the main thread (HOOKYARD_SENDER_THREAD=false).
    'hookyard-sqlite-main-thread': (recovering) =>
      new HookyardStack({ store: 'sqlite', profileDir, name: 'hookyard-sqlite-main-thread', env: { HOOKYARD_SENDER_THREAD: 'false', ...(recovering ? RECOVERY_HOOKYARD_ENV : {}) } }),
    reference: (recovering) => new ReferenceStack(recovering ? 1000 : 5000),
    limit: () => new LimitStack(),
  };
  if (values.baseline) {
    const root = values.baseline;
    factories['baseline-sqlite'] = (recovering) => new HookyardStack({ store: 'sqlite', root, name: 'baseline-sqlite', env: recovering ? RECOVERY_HOOKYARD_ENV : {} });
    if (!values.stacks) wanted.unshift('baseline-sqlite');
  }

  const receiver = new BenchReceiver();
  await receiver.start();
  const runs: Record<string, StackResult[]> = {};
  // Rounds go through every stack before repeating, so that a slow spell of the machine touches all of them alike.
  for (let round = 0; round < repeat; round++) {
    for (const name of wanted) (runs[name] ??= []).push(await runStack(name, factories, receiver));
  }
  await receiver.stop();
  const results = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list)]));

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 0), node: process.version, platform: process.platform },
    sizes,
    repeat,
    results,
  };
  mkdirSync('bench/results', { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(`bench/results/${stamp}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync('bench/results/latest.json', `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync('docs/benchmark-chart.svg', renderChart(report));
  printTable(results);
}

function printTable(results: Record<string, StackResult>): void {
  const hookyard = results['hookyard-sqlite'];
  const reference = results.reference;
  const limit = results.limit;
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${round(a / b, 2)}×` : 'n/a');
  const rows: string[][] = [['metric', ...Object.keys(results), 'hookyard/reference', 'hookyard/limit']];
  const metric = (label: string, pick: (result: StackResult) => number | undefined, ratios = true) =>
    rows.push([
      label,
      ...Object.values(results).map((result) => String(pick(result) ?? 'n/a')),
      ratios ? ratio(hookyard && pick(hookyard), reference && pick(reference)) : '',
      ratios ? ratio(hookyard && pick(hookyard), limit && pick(limit)) : '',
    ]);
  metric('publish msg/s', (r) => r.throughput?.publishPerSecond);
  metric('end-to-end msg/s', (r) => r.throughput?.endToEndPerSecond);
  metric('publish ack p99 ms (closed loop)', (r) => r.throughput?.ackP99Ms, false);
  metric('CPU ms per message (stack processes)', (r) => r.throughput?.cpuMsPerMessage, false);
  metric('  + in Redis / PostgreSQL', (r) => r.throughput?.serviceCpuMsPerMessage, false);
  metric('  load generator + receiver', (r) => r.throughput?.loadCpuMsPerMessage, false);
  metric('fan-out deliveries/s (×10)', (r) => r.fanout?.deliveriesPerSecond);
  metric('CPU ms per fan-out delivery', (r) => r.fanout?.cpuMsPerDelivery, false);
  metric('  + in Redis / PostgreSQL', (r) => r.fanout?.serviceCpuMsPerDelivery, false);
  metric('ack p50 ms @500/s', (r) => r.latency?.ackP50Ms, false);
  metric('ack p99 ms @500/s', (r) => r.latency?.ackP99Ms, false);
  metric('publish→receipt p50 ms @500/s', (r) => r.latency?.receiptP50Ms, false);
  metric('publish→receipt p99 ms @500/s', (r) => r.latency?.receiptP99Ms, false);
  metric('CPU ms per message @500/s', (r) => r.latency?.cpuMsPerMessage, false);
  metric('  + in Redis / PostgreSQL', (r) => r.latency?.serviceCpuMsPerMessage, false);
  metric('drain after outage s', (r) => r.recovery?.drainSeconds, false);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
}

await main();
process.exit(0);
