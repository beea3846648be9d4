import pg from 'pg';
import type { Logger } from 'pino';
import { Coalescer, Listeners } from '../../coordination/local.js';
import type { WorkSignal } from '../../coordination/port.js';

const CHANNEL = 'hookyard_work';
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * Wake-ups through PostgreSQL LISTEN/NOTIFY, for clusters without Redis. The notification is sent after the
 * commit, from the pool, rather than inside the writing transaction: NOTIFY in a transaction serialises commits on
 * a global lock, and the wake-up is only a hint (workers still poll). The listener keeps one dedicated connection
 * and re-establishes it after a server restart.
 */
export class PostgresWorkSignal implements WorkSignal {
  private readonly listeners = new Listeners();
  private readonly announcer: Coalescer;
  private client: pg.Client | null = null;
  private closed = false;
  private reconnectMs = RECONNECT_MIN_MS;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connectionString: string,
    pool: pg.Pool,
    private readonly logger: Logger,
  ) {
    this.announcer = new Coalescer(() => pool.query(`select pg_notify('${CHANNEL}', '')`));
  }

  announce(): void {
    this.announcer.trigger();
  }

  subscribe(listener: () => void): () => void {
    const remove = this.listeners.add(listener);
    if (!this.client && !this.timer) void this.listen();
    return remove;
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 5000 });
    this.client = client;
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.client === client) this.client = null;
      if (this.closed) return;
      if (error) this.logger.warn({ err: { message: error.message }, retryMs: this.reconnectMs }, 'work notifications lost; reconnecting');
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.listen();
      }, this.reconnectMs);
      this.reconnectMs = Math.min(this.reconnectMs * 2, RECONNECT_MAX_MS);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', () => this.listeners.notify());
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      this.reconnectMs = RECONNECT_MIN_MS;
      // Whatever was announced while not listening was missed.
      this.listeners.notify();
    } catch (error) {
      onLost(error as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}
