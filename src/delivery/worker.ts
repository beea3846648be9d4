import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { newId } from '../core/ids.js';
import {
  DeliveryStatus,
  TriggerType,
  type Attempt,
  type ClaimedDelivery,
  type DeliveryDisposition,
  type DeliveryHandoff,
  type DeliveryQueueStore,
  type Endpoint,
} from '../store/port.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { ResultRecorder } from './recorder.js';
import { attemptsAllowed, nextRetryDelayMs, parseRetryAfter } from './retry.js';
import { endpointAccepts } from './routing.js';
import { Sender, type RequestSender, type SendResult } from './sender.js';
import { ThreadedSender } from './sender-thread.js';
import { forwardedHeaders } from '../inbound/forwarding.js';
import { LocalProbeGate, LocalThrottle } from '../coordination/local.js';
import type { DeliveryMetrics } from '../observability/metrics.js';
import type { ProbeGate, Throttle } from '../coordination/port.js';

export type DeliveryWorkerConfig = Pick<
  Config,
  | 'retrySchedule'
  | 'requestTimeoutMs'
  | 'responseBodyLimit'
  | 'sendSvixHeaders'
  | 'senderThread'
  | 'circuitBreakerThreshold'
  | 'circuitBreakerCooldownMs'
  | 'endpointDisableAfterMs'
  | 'workerPollIntervalMs'
  | 'workerConcurrency'
  | 'deliveryLeaseMs'
  | 'allowPrivateNetworks'
>;

export interface DeliveryWorkerOptions {
  store: DeliveryQueueStore;
  config: DeliveryWorkerConfig;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  throttle?: Throttle;
  /** Who sends a half-open breaker's probe; shared through Redis in a cluster. */
  probes?: ProbeGate;
  metrics?: DeliveryMetrics;
}

/** A throttle wait up to this long is spent holding the slot rather than by putting the delivery back in the store. */
const THROTTLE_WAIT_IN_MEMORY_MS = 50;
/** How many such waits one delivery may spend in a row, when other deliveries take the slots it waited for. */
const THROTTLE_WAITS_IN_MEMORY = 3;

/** One claim asks for at most this many deliveries, however many slots are free: claims stay short transactions. */
const CLAIM_BATCH = 100;

/** Time a lease must leave beyond the request timeout for the result to be written before the lease runs out. */
const LEASE_MARGIN_MS = 2000;

/** Deliveries waiting out an open breaker come back spread over this much, so the probe is not one of a crowd. */
const BREAKER_SPREAD_MS = 1000;

/** After the grace period, aborted requests get this long to unwind before their leases are released. */
const ABORT_SETTLE_MS = 2000;

/** While claims keep failing (store down), the error is logged again this often, not on every poll. */
const CLAIM_ERROR_LOG_EVERY_MS = 30_000;

const USER_AGENT = 'Hookyard-Webhooks/0.1';

/**
 * One log line per handled delivery. Failures are what an operator looks for, so they are logged at info (warn once
 * a delivery has no attempt left); successes and deferrals are the bulk of the traffic, and every attempt is kept
 * in the store anyway, so they are logged at debug.
 */
const OUTCOME_LOG: Record<DeliveryDisposition['kind'], { level: 'debug' | 'info' | 'warn'; msg: string }> = {
  success: { level: 'debug', msg: 'delivery attempt succeeded' },
  retry: { level: 'info', msg: 'delivery attempt failed; retry scheduled' },
  failed: { level: 'warn', msg: 'delivery failed; no attempt left' },
  canceled: { level: 'info', msg: 'delivery canceled: endpoint gone, disabled or no longer subscribed' },
  deferred: { level: 'debug', msg: 'delivery deferred by the circuit breaker or throttle' },
};

/** A publish's offer of its new deliveries to this process's worker (see DeliveryHandoff). */
export interface WorkerHandoff extends DeliveryHandoff {
  /**
   * Called once the write is over, whatever its outcome: starts sending what it leased (none when it failed or was
   * refused a lease) and frees the slots the lease held.
   */
  settle(leased: readonly ClaimedDelivery[]): void;
}

/** What became of one claimed delivery before it is written down. */
interface Handled {
  disposition: DeliveryDisposition;
  attempt: Attempt | null;
  /** Set when the attempt was the breaker's probe. */
  probe: boolean;
  /** The endpoint answered 410 Gone (Standard Webhooks: stop sending to it). */
  gone: boolean;
}

/**
 * The outbound delivery loop of one process: claim due deliveries (leased, so a crash gives them back), send each
 * one, record the attempt and the delivery's next state. Wakes on `wake()` from the API, on the earliest retry it
 * scheduled itself, and otherwise every `workerPollIntervalMs`.
 */
export class DeliveryWorker {
  readonly name = 'delivery';
  /** Unique per worker instance, so a restarted process never mistakes its predecessor's leases for its own. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  private readonly store: DeliveryQueueStore;
  private readonly config: DeliveryWorkerConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly throttle: Throttle;
  private readonly sender: RequestSender;
  private readonly recorder: ResultRecorder;
  private readonly breakers: CircuitBreakers;
  private readonly leaseMs: number;
  private readonly metrics: DeliveryMetrics | null;
  /** Aborts requests still running when the shutdown grace period ends. */
  private readonly abort = new AbortController();

  private loop: Promise<void> | null = null;
  private stopping = false;
  private active = 0;
  /** Slots promised to a claim under way and to handoffs whose writes have not settled yet. */
  private reserved = 0;
  private handoffsSettled: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private woken = false;
  private saturated = false;
  /** Free slots needed before the loop claims again. */
  private claimWhenFree = 1;
  private interruptSleep: (() => void) | null = null;
  private alarm: { at: number; timer: NodeJS.Timeout } | null = null;
  private readonly disabling = new Set<string>();
  private lastPrune = 0;
  private claimErrorsSince: number | null = null;
  private claimErrorLoggedAt = 0;

  constructor(options: DeliveryWorkerOptions) {
    this.store = options.store;
    this.config = options.config;
    this.logger = options.logger.child({ component: 'delivery', worker: this.owner });
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.throttle = options.throttle ?? new LocalThrottle();
    this.metrics = options.metrics ?? null;
    const senderOptions = {
      timeoutMs: this.config.requestTimeoutMs,
      responseBodyLimit: this.config.responseBodyLimit,
      allowPrivateNetworks: this.config.allowPrivateNetworks,
      userAgent: USER_AGENT,
    };
    this.sender = this.config.senderThread ? new ThreadedSender(senderOptions) : new Sender(senderOptions);
    this.recorder = new ResultRecorder(this.store);
    // Others are held back while a probe runs. Its verdict is known within one request timeout; waiting no longer
    // than a cool-down means a failed probe's successor is due just as the breaker half-opens again.
    this.breakers = new CircuitBreakers(
      { threshold: this.config.circuitBreakerThreshold, cooldownMs: this.config.circuitBreakerCooldownMs },
      Math.min(this.config.requestTimeoutMs, this.config.circuitBreakerCooldownMs),
      options.probes ?? new LocalProbeGate(),
    );
    // A lease shorter than a request would hand a delivery still being sent to another claimer: a duplicate.
    this.leaseMs = Math.max(this.config.deliveryLeaseMs, this.config.requestTimeoutMs + LEASE_MARGIN_MS);
    if (this.leaseMs !== this.config.deliveryLeaseMs) {
      this.logger.warn({ deliveryLeaseMs: this.config.deliveryLeaseMs, usedMs: this.leaseMs }, 'delivery lease shorter than the request timeout; using a longer one');
    }
  }

  start(): void {
    if (this.loop || this.stopping) return;
    this.loop = this.run();
  }

  /** Something became due (a message was created, a resend was queued): look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.interruptSleep?.();
  }

  /**
   * Offers this worker the deliveries of a message about to be written, or null when it has no free slot (a busy
   * worker claims from the queue in batches, which costs less than reading each endpoint in full to hand over).
   * A lease is granted only into free slots, so that a handed-off delivery starts at once: one waiting in memory
   * for a slot could outlive its lease.
   */
  handoff(appThrottleRate: number | null): WorkerHandoff | null {
    if (!this.hasRoom(1)) return null;
    let held = 0;
    return {
      appThrottleRate,
      lease: (count) => {
        if (held > 0 || !this.hasRoom(count)) return null;
        held = count;
        this.reserved += count;
        return { owner: this.owner, until: new Date(this.now() + this.leaseMs) };
      },
      settle: (leased) => {
        this.reserved -= held;
        held = 0;
        // Once stopping, they stay leased to this worker and stop() gives them back with the rest.
        if (!this.stopping && leased.length > 0) {
          this.metrics?.deliveriesTaken('handoff', leased.length);
          for (const claimed of leased) this.dispatch(claimed);
        }
        if (this.reserved === 0) this.handoffsSettled?.();
      },
    };
  }

  private hasRoom(count: number): boolean {
    return !this.stopping && this.loop !== null && this.config.workerConcurrency - this.active - this.reserved >= count;
  }

  /**
   * Stops claiming, lets running deliveries finish for up to `graceMs`, aborts the rest, and puts every delivery
   * still leased to this worker back in the queue, due at once, for the next process to send.
   */
  async stop(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake();
    if (this.alarm) clearTimeout(this.alarm.timer);
    await this.loop;
    // Deliveries being handed off right now are leased to this worker: their writes end before leases are released.
    await this.handoffsDone(graceMs);
    if (!(await this.settle(graceMs))) {
      this.abort.abort();
      // Still waiting after that: results are stuck writing to an unreachable store. Their leases will run out.
      if (!(await this.settle(ABORT_SETTLE_MS))) this.recorder.giveUp();
    }
    await this.recorder.idle();
    try {
      const released = await this.store.releaseDeliveryLeases(this.owner);
      if (released > 0) this.logger.info({ released }, 'released unfinished deliveries');
    } catch (error) {
      // They come back anyway once their leases expire.
      this.logger.error({ err: error }, 'could not release delivery leases');
    }
    await this.sender.close();
  }

  private async handoffsDone(withinMs: number): Promise<void> {
    if (this.reserved === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.handoffsSettled = resolve;
      timer = setTimeout(resolve, withinMs);
    });
    clearTimeout(timer);
    this.handoffsSettled = null;
  }

  private async settle(withinMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), withinMs);
    });
    const done = Promise.allSettled([...this.inFlight]).then(() => true as const);
    const result = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    return result;
  }

  private async run(): Promise<void> {
    let backlogged = false;
    while (!this.stopping) {
      this.woken = false;
      const free = this.config.workerConcurrency - this.active - this.reserved;
      // With a backlog, slots are refilled in batches: a claim per finished delivery would cost a transaction each.
      this.claimWhenFree = backlogged ? Math.min(CLAIM_BATCH, Math.ceil(this.config.workerConcurrency / 4)) : 1;
      this.saturated = free < this.claimWhenFree;
      let sleepMs = this.config.workerPollIntervalMs;
      if (!this.saturated) {
        const limit = Math.min(free, CLAIM_BATCH);
        try {
          // The slots are the claim's while it runs: a handoff meanwhile must not take them too.
          this.reserved += limit;
          const claim = await this.store.claimDueDeliveries({ owner: this.owner, limit, leaseMs: this.leaseMs }).finally(() => {
            this.reserved -= limit;
          });
          // Claimed after stop() began: left leased, and released with the rest.
          if (this.stopping) break;
          if (claim.deliveries.length > 0) this.metrics?.deliveriesTaken('claim', claim.deliveries.length);
          for (const claimed of claim.deliveries) this.dispatch(claimed);
          backlogged = claim.deliveries.length === limit;
          if (backlogged) continue;
          if (claim.nextDueAt) sleepMs = Math.min(sleepMs, Math.max(0, claim.nextDueAt.getTime() - this.now()));
          this.claimFailing(null);
        } catch (error) {
          this.claimFailing(error);
        }
      }
      this.housekeeping();
      await this.sleep(sleepMs);
    }
  }

  /** Logs the first failed claim of an outage, then a reminder now and then, then the recovery: not every poll. */
  private claimFailing(error: unknown): void {
    const now = Date.now();
    if (error === null) {
      if (this.claimErrorsSince !== null) this.logger.info({ failedForMs: now - this.claimErrorsSince }, 'claiming deliveries works again');
      this.claimErrorsSince = null;
      return;
    }
    if (this.claimErrorsSince === null || now - this.claimErrorLoggedAt >= CLAIM_ERROR_LOG_EVERY_MS) {
      this.logger.error({ err: error, failingForMs: this.claimErrorsSince === null ? 0 : now - this.claimErrorsSince }, 'claiming deliveries failed');
      this.claimErrorLoggedAt = now;
    }
    this.claimErrorsSince ??= now;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.interruptSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.interruptSleep = done;
    });
  }

  /** Wakes the loop at `at`, for a retry due sooner than the next poll. */
  private wakeAt(at: number): void {
    const delay = at - this.now();
    if (this.stopping || delay >= this.config.workerPollIntervalMs) return;
    if (this.alarm && this.alarm.at <= at) return;
    if (this.alarm) clearTimeout(this.alarm.timer);
    const timer = setTimeout(
      () => {
        this.alarm = null;
        this.wake();
      },
      Math.max(0, delay),
    );
    this.alarm = { at, timer };
  }

  private housekeeping(): void {
    const now = this.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    this.breakers.prune(now);
  }

  private dispatch(claimed: ClaimedDelivery): void {
    this.active += 1;
    const running = this.deliver(claimed)
      .catch((error: unknown) => {
        // Left leased: the delivery comes back when its lease expires.
        this.logger.error({ err: error, deliveryId: claimed.delivery.id }, 'delivery failed unexpectedly');
      })
      .finally(() => {
        this.active -= 1;
        this.inFlight.delete(running);
        if (this.saturated && this.config.workerConcurrency - this.active >= this.claimWhenFree) this.wake();
      });
    this.inFlight.add(running);
  }

  private async deliver(claimed: ClaimedDelivery): Promise<void> {
    const handled = await this.handle(claimed);
    if (handled === null) return;
    const { delivery, lease } = claimed;
    let outcome;
    try {
      outcome = await this.recorder.record({
        deliveryId: delivery.id,
        lease,
        attempt: handled.attempt,
        disposition: handled.disposition,
        inboundEventId: claimed.message?.inbound?.eventId ?? null,
      });
    } finally {
      if (handled.probe) await this.breakers.probeSettled(delivery.endpointId);
    }
    if (outcome.health) this.breakers.observe(outcome.health);
    if (!outcome.recorded) this.logger.warn({ deliveryId: delivery.id }, 'lease lost before the result was recorded');
    this.report(claimed, handled, outcome.recorded);
    const { disposition } = handled;
    if (disposition.kind === 'retry' || disposition.kind === 'deferred') this.wakeAt(disposition.at.getTime());

    const failingSince = outcome.health?.consecutiveFailures ? outcome.health.failingSince : null;
    const failingTooLong = failingSince !== null && this.now() - failingSince.getTime() >= this.config.endpointDisableAfterMs;
    if (handled.gone || failingTooLong) await this.disable(delivery.appId, delivery.endpointId, failingSince, handled.gone ? 'gone' : 'failing');
  }

  /** Metrics, and a log line carrying the ids that trace a message from its publication through every attempt. */
  private report({ delivery }: ClaimedDelivery, { disposition, attempt }: Handled, recorded: boolean): void {
    // A result written after the lease was lost keeps its attempt but not its outcome: the new holder decides that.
    this.metrics?.deliveryHandled(recorded ? disposition.kind : null, attempt);
    const { level, msg } = OUTCOME_LOG[disposition.kind];
    const fields = {
      msgId: delivery.msgId,
      appId: delivery.appId,
      endpointId: delivery.endpointId,
      deliveryId: delivery.id,
      attemptId: attempt?.id ?? null,
      attempt: attempt ? delivery.attemptCount + 1 : null,
      statusCode: attempt?.responseStatusCode ?? null,
      durationMs: attempt?.responseDurationMs ?? null,
      outcome: disposition.kind,
      nextAttemptAt: disposition.kind === 'retry' || disposition.kind === 'deferred' ? disposition.at.toISOString() : null,
    };
    this.logger[level](fields, msg);
  }

  private async disable(appId: string, endpointId: string, failingSince: Date | null, why: 'gone' | 'failing'): Promise<void> {
    if (this.disabling.has(endpointId)) return;
    this.disabling.add(endpointId);
    try {
      if (await this.store.disableEndpoint(appId, endpointId, { failingSince })) {
        this.logger.warn({ appId, endpointId, why, failingSince }, 'endpoint disabled');
      }
    } catch (error) {
      this.logger.error({ err: error, endpointId }, 'could not disable endpoint');
    } finally {
      this.disabling.delete(endpointId);
    }
  }

  /** Decides, and sends if it should: null when the attempt was cut short by shutdown and must not be recorded. */
  private async handle(claimed: ClaimedDelivery): Promise<Handled | null> {
    const { delivery, endpoint, message } = claimed;
    const skip = (disposition: DeliveryDisposition): Handled => ({ disposition, attempt: null, probe: false, gone: false });

    // Checked at send time, not only when the message was routed: the endpoint may have changed since.
    if (!endpoint || endpoint.disabled || !message) return skip({ kind: 'canceled' });
    // A forwarded inbound request sends the provider's bytes and headers; anything else, the JSON payload.
    const content = message.inbound
      ? message.inbound.body && { body: message.inbound.body, headers: forwardedHeaders(message.inbound) }
      : message.payload === null
        ? null
        : { body: message.payload, headers: {} };
    if (content === null) return skip({ kind: 'canceled' });
    // A manual resend or recovery targets the endpoint explicitly, whatever it subscribes to.
    const manualRun = delivery.triggerType === TriggerType.manual;
    if (!manualRun && !endpointAccepts(endpoint, message.eventType, message.channels)) return skip({ kind: 'canceled' });

    const now = this.now();
    this.breakers.observe(claimed.health);
    const admission = await this.breakers.admit(endpoint.id, now);
    if (admission.kind === 'wait') {
      return skip({ kind: 'deferred', at: new Date(admission.until + Math.floor(this.random() * BREAKER_SPREAD_MS)) });
    }

    const rate = endpoint.throttleRate ?? claimed.appThrottleRate;
    if (rate !== null && rate > 0) {
      const waitMs = await this.throttleWait(endpoint.id, rate, delivery.id);
      if (waitMs !== 0) {
        if (admission.probe) await this.breakers.probeSettled(endpoint.id);
        if (waitMs === null) return null;
        return skip({ kind: 'deferred', at: new Date(this.now() + waitMs) });
      }
    }

    const attemptedAt = this.now();
    const result = await this.send(endpoint, { id: message.id, ...content }, attemptedAt);
    if (result.kind === 'failed' && result.reason === 'aborted') {
      if (admission.probe) await this.breakers.probeSettled(endpoint.id);
      return null;
    }
    const finishedAt = this.now();
    const succeeded = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.kind === 'response' && result.statusCode === 410;
    const attempt: Attempt = {
      id: newId('attempt', attemptedAt),
      appId: delivery.appId,
      msgId: delivery.msgId,
      endpointId: endpoint.id,
      deliveryId: delivery.id,
      url: endpoint.url,
      status: succeeded ? DeliveryStatus.success : DeliveryStatus.fail,
      responseStatusCode: result.kind === 'response' ? result.statusCode : 0,
      response: this.responseText(result),
      requestHeaders: result.requestHeaders,
      responseDurationMs: result.durationMs,
      // Retries are scheduled whatever started the run; only a run's first attempt carries a manual trigger.
      triggerType: delivery.attemptCount === 0 ? delivery.triggerType : TriggerType.scheduled,
      createdAt: new Date(attemptedAt),
    };
    return { disposition: this.nextStep(claimed, endpoint, result, succeeded, gone, finishedAt), attempt, probe: admission.probe, gone };
  }

  /**
   * Takes a send slot of the throttle: 0 when the delivery may send now, else how long it must wait for its slot; null
   * when the worker stopped meanwhile. The delivery is its own ticket: when it comes back for the slot booked now,
   * whichever worker claims it. A short wait is spent here, holding the slot: cheaper than putting the delivery
   * back in the store and claiming it again, which would also make it come back later than asked.
   */
  private async throttleWait(endpointId: string, rate: number, deliveryId: string): Promise<number | null> {
    let waitMs = await this.throttle.reserve(endpointId, rate, this.now(), deliveryId);
    if (waitMs > 0) this.metrics?.deliveryThrottled();
    for (let waits = 0; waitMs > 0 && waitMs <= THROTTLE_WAIT_IN_MEMORY_MS && waits < THROTTLE_WAITS_IN_MEMORY; waits++) {
      await sleep(waitMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.stopping) return null;
      waitMs = await this.throttle.reserve(endpointId, rate, this.now(), deliveryId);
    }
    return waitMs;
  }

  private nextStep(claimed: ClaimedDelivery, endpoint: Endpoint, result: SendResult, succeeded: boolean, gone: boolean, finishedAt: number): DeliveryDisposition {
    if (succeeded) return { kind: 'success' };
    if (gone) return { kind: 'failed' };
    const schedule = endpoint.retrySchedule ?? this.config.retrySchedule;
    const attemptsMade = claimed.delivery.attemptCount + 1;
    if (attemptsMade >= attemptsAllowed(schedule)) return { kind: 'failed' };
    // Only these two statuses give Retry-After the meaning "not before" (RFC 9110 §10.2.3).
    const asksToWait = result.kind === 'response' && (result.statusCode === 429 || result.statusCode === 503);
    const retryAfter = asksToWait ? parseRetryAfter(result.headers['retry-after'], finishedAt) : null;
    const delay = nextRetryDelayMs(schedule, attemptsMade, retryAfter, this.random);
    if (delay !== null) this.metrics?.retryScheduled(delay === retryAfter ? 'retry_after' : 'schedule');
    return delay === null ? { kind: 'failed' } : { kind: 'retry', at: new Date(finishedAt + delay) };
  }

  private responseText(result: SendResult): string {
    if (result.kind === 'response' && result.bodyError === null) return result.body;
    // Without a (complete) response, what went wrong is what an operator needs to see in its place.
    const text = result.kind === 'response' ? `${result.body}\n[response cut short: ${result.bodyError}]` : `${result.reason}: ${result.detail}`;
    return text.slice(0, Math.max(this.config.responseBodyLimit, 200));
  }

  /** Sends, signed by the sender; the result carries the headers the request went out with, as the attempt keeps them. */
  private send(endpoint: Endpoint, message: { id: string; body: string | Buffer; headers: Record<string, string> }, attemptedAt: number): Promise<SendResult> {
    const custom: Record<string, string> = {};
    for (const [name, value] of Object.entries(endpoint.headers)) custom[name.toLowerCase()] = value;
    return this.sender.send({
      url: endpoint.url,
      headers: { ...message.headers, ...custom },
      body: message.body,
      signing: {
        msgId: message.id,
        timestampSeconds: Math.floor(attemptedAt / 1000),
        secrets: endpoint.secrets.map((secret) => secret.key),
        includeSvixHeaders: this.config.sendSvixHeaders,
      },
      // A forwarded request keeps its own content type.
      contentType: message.headers['content-type'] ?? null,
      signal: this.abort.signal,
    });
  }
}
