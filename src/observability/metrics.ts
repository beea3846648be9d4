import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryDisposition } from '../store/port.js';
import type { QueueReading } from './queue-watch.js';

/**
 * Every Prometheus metric Hookyard exports, on a registry of its own: several Hookyards in one process (the test
 * suites) each count their own, and nothing registers on prom-client's global default registry.
 *
 * Labels are bounded by construction: route templates (never raw paths), HTTP methods, status codes or classes,
 * fixed outcome names, and inbound source *types* (a closed list of verification schemes). Ids of messages,
 * attempts, endpoints and sources are never labels: each value is a time series, and those are unbounded; they
 * belong in logs, which carry them.
 */

export type DeliveryOutcome = DeliveryDisposition['kind'];
export type InboundOutcome = 'accepted' | 'duplicate' | 'quarantined' | 'rejected' | 'handshake' | 'unknown_source';
export type MessageOrigin = 'api' | 'inbound';
export type RetryReason = 'schedule' | 'retry_after';
export type StoreKind = 'sqlite' | 'postgres';

/** What the delivery engine reports. */
export type DeliveryMetrics = Pick<HookyardMetrics, 'deliveriesTaken' | 'deliveryHandled' | 'retryScheduled' | 'deliveryThrottled'>;

/** Seconds. HTTP answers are mostly milliseconds; the tail reaches the body-parsing and store-outage range. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds. Endpoints answer in tens of milliseconds to the request timeout (15 s by default, at most 300 s). */
const ATTEMPT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];
/** Seconds. An fsync is 0.1 to 10 ms on SSDs; anything near a second is a sick disk or database. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Writes per commit; SQLite's group commit takes at most 512. */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** `2xx`…`5xx`; `none` for an attempt that got no response (connection refused, timeout, refused address). */
export function statusClass(statusCode: number): string {
  return statusCode >= 100 && statusCode < 600 ? `${Math.floor(statusCode / 100)}xx` : 'none';
}

export class HookyardMetrics {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'hookyard_http_requests_total',
    help: 'HTTP requests answered, by route template (or "unmatched"), method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'hookyard_http_request_duration_seconds',
    help: 'Time from request to response, by route template, method and status class.',
    labelNames: ['route', 'method', 'status_class'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'hookyard_api_rate_limited_total',
    help: 'Requests refused with 429 by the API rate limits, by quota: per credential or per client address.',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  private readonly messagesAccepted = new Counter({
    name: 'hookyard_messages_accepted_total',
    help: 'Messages committed for delivery: published through the API, or received webhooks forwarded.',
    labelNames: ['origin'] as const,
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: 'hookyard_deliveries_total',
    help: 'Delivery results recorded by this process: success, retry (scheduled), failed (exhausted or 410), canceled, deferred (breaker or throttle).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly attemptDuration = new Histogram({
    name: 'hookyard_delivery_attempt_duration_seconds',
    help: 'Duration of delivery attempts made by this process, by response status class ("none": no response).',
    labelNames: ['status_class'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'hookyard_delivery_retries_scheduled_total',
    help: 'Retries scheduled after a failed attempt, by what set the delay: the retry schedule, or a longer Retry-After.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly taken = new Counter({
    name: 'hookyard_deliveries_taken_total',
    help: 'Deliveries the worker took up: handed over by the API of its own process as the message was accepted, or claimed from the queue.',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'hookyard_delivery_throttled_total',
    help: "Deliveries held back by an endpoint's or application's throttle rate.",
    registers: [this.registry],
  });
  private readonly inbound = new Counter({
    name: 'hookyard_inbound_requests_total',
    help: 'Requests to ingest URLs, by source type and outcome.',
    labelNames: ['source_type', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly commitBatch = new Histogram({
    name: 'hookyard_store_commit_batch_size',
    help: 'Writes per committed transaction (SQLite group commit; always 1 on PostgreSQL, which batches fsyncs itself).',
    labelNames: ['store'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  private readonly commitDuration = new Histogram({
    name: 'hookyard_store_commit_duration_seconds',
    help: 'Time to run and commit one write transaction, COMMIT (and its fsync) included.',
    labelNames: ['store'] as const,
    buckets: COMMIT_BUCKETS,
    registers: [this.registry],
  });

  private beforeScrape: () => Promise<void> = async () => undefined;

  constructor() {
    // Standard names (process_*, nodejs_*), unprefixed, so that stock Node.js dashboards work.
    collectDefaultMetrics({ register: this.registry });
  }

  /** The text exposition format, after the scrape-time gauges are read (once for all of them). */
  async exposition(): Promise<string> {
    await this.beforeScrape();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  httpRequest(route: string, method: string, statusCode: number, seconds: number): void {
    this.httpRequests.inc({ route, method, status: String(statusCode) });
    this.httpDuration.observe({ route, method, status_class: statusClass(statusCode) }, seconds);
  }

  apiRateLimited(scope: 'credential' | 'address'): void {
    this.rateLimited.inc({ scope });
  }

  messageAccepted(origin: MessageOrigin): void {
    this.messagesAccepted.inc({ origin });
  }

  deliveriesTaken(via: 'handoff' | 'claim', count: number): void {
    this.taken.inc({ via }, count);
  }

  /** One claimed delivery handled: its attempt (if a request was made) and, once recorded, its outcome. */
  deliveryHandled(outcome: DeliveryOutcome | null, attempt: { responseStatusCode: number; responseDurationMs: number } | null): void {
    if (attempt) this.attemptDuration.observe({ status_class: statusClass(attempt.responseStatusCode) }, attempt.responseDurationMs / 1000);
    if (outcome) this.deliveries.inc({ outcome });
  }

  retryScheduled(reason: RetryReason): void {
    this.retries.inc({ reason });
  }

  deliveryThrottled(): void {
    this.throttled.inc();
  }

  inboundRequest(sourceType: string, outcome: InboundOutcome): void {
    this.inbound.inc({ source_type: sourceType, outcome });
  }

  storeCommitted(store: StoreKind, writes: number, ms: number): void {
    this.commitBatch.observe({ store }, writes);
    this.commitDuration.observe({ store }, ms / 1000);
  }

  /**
   * Queue depth, age of the oldest due delivery and breakers open, read from the store when scraped (through a
   * cached, time-bounded reader, so scrapes neither hammer nor wait on a slow store). These are cluster-wide
   * values: every process reports the same, so aggregate them with max, not sum.
   */
  watchQueue(read: () => Promise<QueueReading | null>, now: () => number): void {
    const registers = [this.registry];
    const failures = new Counter({
      name: 'hookyard_queue_stats_failures_total',
      help: 'Scrapes whose queue reading failed or took too long; the queue gauges then keep their last values.',
      registers,
    });
    const due = new Gauge({ name: 'hookyard_queue_due_deliveries', help: 'Deliveries due now and not being sent (cluster-wide).', registers });
    const oldest = new Gauge({
      name: 'hookyard_queue_oldest_due_age_seconds',
      help: 'How long the longest-waiting due delivery has been due (0 when nothing is due; cluster-wide).',
      registers,
    });
    const breakers = new Gauge({
      name: 'hookyard_circuit_breakers_open',
      help: 'Live endpoints whose circuit breaker is not closed (open, or half-open awaiting a probe; cluster-wide).',
      registers,
    });
    this.beforeScrape = async () => {
      const reading = await read();
      if (!reading) {
        failures.inc();
        return;
      }
      due.set(reading.due);
      oldest.set(reading.oldestDueAt ? Math.max(0, now() - reading.oldestDueAt.getTime()) / 1000 : 0);
      breakers.set(reading.breakersOpen);
    };
  }
}
