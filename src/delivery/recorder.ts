import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailableError, type DeliveryQueueStore, type DeliveryResult, type EndpointHealth } from '../store/port.js';

export interface RecordOutcome {
  /** False when the lease had been lost before the result arrived. */
  recorded: boolean;
  /** The endpoint's health after the batch, when the result carried an attempt. */
  health: EndpointHealth | null;
}

interface Pending {
  result: DeliveryResult;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** Keeps one transaction from growing without bound when thousands of results are waiting. */
const MAX_BATCH = 256;

/**
 * How long the first result to arrive at an idle recorder waits for others to share its transaction. Each
 * transaction costs a commit that writes every page it touched (the delivery, the attempt and their indexes), which
 * at a few hundred deliveries a second cost more than the rest of recording; a result written this much later only
 * shows up in the API that much later.
 */
const LINGER_MS = 10;

/** Results enough to fill a transaction worth its commit: written at once, without lingering. */
const FLUSH_AT = 32;

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * Results that finish while a batch is being written go into the next one, so a busy worker writes one
 * transaction per batch of completions instead of one per delivery (graphile-worker batches its completions the
 * same way). At an idle recorder a result lingers up to LINGER_MS for company.
 *
 * While the store is unreachable a batch is retried rather than dropped: the requests it reports were sent, and a
 * result written late (its lease lost meanwhile) still records the attempt, while a dropped one would come back as
 * a duplicate send. Only `giveUp()`, at shutdown, ends the retrying.
 */
export class ResultRecorder {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private lingering: NodeJS.Timeout | null = null;
  private givenUp = false;
  private readonly stopRetrying = new AbortController();

  constructor(private readonly store: Pick<DeliveryQueueStore, 'recordDeliveryResults'>) {}

  record(result: DeliveryResult): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.queue.push({ result, resolve, reject });
      // A write under way takes whatever arrived meanwhile as soon as it is done.
      if (this.writing) return;
      if (this.queue.length >= FLUSH_AT) this.flush();
      else this.lingering ??= setTimeout(() => this.flush(), LINGER_MS);
    });
  }

  private flush(): void {
    if (this.lingering) clearTimeout(this.lingering);
    this.lingering = null;
    this.writing ??= this.drain();
  }

  /** Resolves when everything handed in so far is written (or has failed). */
  async idle(): Promise<void> {
    if (this.lingering) this.flush();
    while (this.writing) await this.writing;
  }

  /** Stops retrying writes against an unreachable store: what is pending fails, and its leases run out. */
  giveUp(): void {
    this.givenUp = true;
    this.stopRetrying.abort();
  }

  private async write(results: DeliveryResult[]) {
    let waitMs = RETRY_MIN_MS;
    for (;;) {
      try {
        return await this.store.recordDeliveryResults(results);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError) || this.givenUp) throw error;
        await sleep(waitMs, undefined, { signal: this.stopRetrying.signal }).catch(() => undefined);
        waitMs = Math.min(waitMs * 2, RETRY_MAX_MS);
      }
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const written = await this.write(batch.map((item) => item.result));
          const health = new Map(written.health.map((entry) => [entry.endpointId, entry]));
          batch.forEach((item, index) =>
            item.resolve({
              recorded: written.recorded[index] ?? false,
              health: item.result.attempt ? (health.get(item.result.attempt.endpointId) ?? null) : null,
            }),
          );
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.writing = null;
    }
  }
}
