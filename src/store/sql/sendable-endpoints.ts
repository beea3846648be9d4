import type { SecretBox } from '../../core/secret-box.js';
import type { Endpoint } from '../port.js';
import type { EndpointRow } from './database.js';
import type { Executor, SqlEngine } from './engine.js';
import { toEndpoint } from './endpoints.js';
import { PreparedQuery, inList, listValue } from './prepared.js';

/** What identifies one state of an endpoint: every change to an endpoint moves its version or its update time. */
export interface EndpointStamp {
  id: string;
  version: number;
  updated_at: number;
}

/** One endpoint as last read, and decoded for sending while no secret of it has expired since. */
export interface KeptEndpoint {
  row: EndpointRow;
  decoded: Endpoint | null;
  /** Store time until which `decoded` holds: the next expiry of a secret it signs with. */
  decodedUntil: number;
}

/** Endpoints kept per store: enough for every endpoint a busy deployment sends to, small enough not to matter. */
const KEEP_AT_MOST = 10_000;

const endpointRows = new PreparedQuery<'ids'>((db, value, dialect) => db.selectFrom('endpoints').selectAll().where(inList(dialect, 'id', value('ids'))));

/**
 * The endpoints deliveries are sent to, kept between messages and claims. Handing off a message's deliveries needs
 * each endpoint whole (to sign and send without another read), and reading and decoding every column of every
 * endpoint of the application again for each message cost more than the rest of publishing to ten endpoints. So a
 * message (or a claim) reads only each endpoint's stamp, with what it needs besides (routing, health), and the whole
 * rows of those whose stamp differs from the kept copy: what it sends with is what it would have read.
 */
export class SendableEndpoints {
  private readonly kept = new Map<string, KeptEndpoint>();

  /**
   * The kept copies of these endpoints, in the same order, reading the rows of those not kept or changed since; null
   * for one deleted since its stamp was read (only another transaction on PostgreSQL can do that in between).
   */
  async load(engine: Pick<SqlEngine, 'dialect'>, db: Executor, stamps: readonly EndpointStamp[]): Promise<Array<KeptEndpoint | null>> {
    const stale = stamps.filter((stamp) => !this.holds(stamp));
    if (stale.length > 0) {
      const { rows } = await endpointRows.execute<EndpointRow>(engine, db, { ids: listValue(engine.dialect, stale.map((stamp) => stamp.id)) });
      for (const row of rows) this.keep(row);
    }
    return stamps.map((stamp) => {
      const kept = this.kept.get(stamp.id);
      return kept === undefined || kept.row.deleted_at !== null ? null : kept;
    });
  }

  /** The endpoint decoded as of `time` (secrets past their grace period left out). */
  decoded(kept: KeptEndpoint, box: SecretBox, time: number): Endpoint {
    if (kept.decoded === null || time >= kept.decodedUntil) {
      const decoded = toEndpoint(kept.row, box, time);
      // It holds only secrets still valid at `time`: it needs making again when the first of them expires.
      kept.decodedUntil = Math.min(...decoded.secrets.map((secret) => secret.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY));
      kept.decoded = decoded;
    }
    return kept.decoded;
  }

  private holds(stamp: EndpointStamp): boolean {
    const kept = this.kept.get(stamp.id);
    return kept !== undefined && kept.row.version === stamp.version && kept.row.updated_at === stamp.updated_at;
  }

  private keep(row: EndpointRow): void {
    this.kept.delete(row.id);
    if (this.kept.size >= KEEP_AT_MOST) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(row.id, { row, decoded: null, decodedUntil: 0 });
  }
}
