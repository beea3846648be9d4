import type { Logger } from 'pino';
import { Periodic } from '../core/periodic.js';
import type { OperationalWebhookStore } from '../store/port.js';

export interface OperationalForwarderOptions {
  store: Pick<OperationalWebhookStore, 'forwardOperationalEvents'>;
  /** How often recorded events are looked for. */
  intervalMs: number;
  /** Days the forwarded messages keep their payload. */
  payloadRetentionDays: number;
  logger: Logger;
  /** Called after events became deliveries, so that a worker sends them at once. */
  onForwarded: () => void;
}

/** Events turned into messages per transaction: a backlog is worked off in short writes. */
const BATCH = 100;

/** While forwarding keeps failing (store down), the error is logged again this often, not on every poll. */
const ERROR_LOG_EVERY_MS = 30_000;

/**
 * Turns recorded operational events into messages to the operator endpoint, in every worker process. The delivery
 * engine then signs, sends, retries and records them like any other message; the store marks each event forwarded
 * in the transaction that creates its message, so neither a crash nor several forwarders send one event twice.
 */
export class OperationalForwarder {
  readonly name = 'operational-webhooks';
  private readonly periodic: Periodic;
  private errorLoggedAt = 0;

  constructor(private readonly options: OperationalForwarderOptions) {
    this.periodic = new Periodic((signal) => this.forwardAll(signal), options.intervalMs);
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async forwardAll(signal: AbortSignal): Promise<void> {
    try {
      for (;;) {
        const forwarded = await this.options.store.forwardOperationalEvents(BATCH, this.options.payloadRetentionDays);
        if (forwarded > 0) this.options.onForwarded();
        if (forwarded < BATCH || signal.aborted) return;
      }
    } catch (error) {
      const now = Date.now();
      if (now - this.errorLoggedAt < ERROR_LOG_EVERY_MS) return;
      this.errorLoggedAt = now;
      this.options.logger.error({ err: error }, 'forwarding operational events failed');
    }
  }
}
