import type { DeliveryQueueStore, DeliveryResult, EndpointHealth } from '../store/port.js';

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
 * Results that finish while a batch is being written go into the next one, so a busy worker writes one
 * transaction per batch of completions instead of one per delivery (graphile-worker batches its completions the
 * same way). An idle worker's single result is written at once.
 */
export class ResultRecorder {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly store: Pick<DeliveryQueueStore, 'recordDeliveryResults'>) {}

  record(result: DeliveryResult): Promise<RecordOutcome> {
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.queue.push({ result, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Resolves when everything handed in so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const written = await this.store.recordDeliveryResults(batch.map((item) => item.result));
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
