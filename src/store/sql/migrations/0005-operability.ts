import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/**
 * Operational webhooks (the outbox mark on operational events, the failing mark on deliveries, verification
 * failure windows of sources), per-application payload retention, and the indexes that pruning walks.
 */
export async function up(db: Kysely<unknown>, { idType, time }: MigrationContext): Promise<void> {
  await db.schema.alterTable('applications').addColumn('payload_retention_days', 'integer').execute();

  // Set once `message.attempt.failing` or `…exhausted` was recorded for the delivery, so that a later success is
  // reported as `…recovered` and the failing event is not sent twice.
  await db.schema.alterTable('deliveries').addColumn('failure_reported_at', time).execute();

  // An outbox mark rather than a consumer cursor: PostgreSQL hands out sequence numbers before commit, so events can
  // commit out of order and a cursor moved past a gap would skip the late one for good.
  await db.schema.alterTable('operational_events').addColumn('forwarded_at', time).execute();
  await db.schema
    .createIndex('operational_events_unforwarded')
    .on('operational_events')
    .column('seq')
    .where(sql.ref('forwarded_at'), 'is', null)
    .execute();
  await db.schema.createIndex('operational_events_created').on('operational_events').column('created_at').execute();

  // One row per source: the current window of verification failures (see docs/operational-webhooks.md).
  await db.schema
    .createTable('verification_failures')
    .addColumn('source_id', idType, (c) => c.primaryKey())
    .addColumn('window_started_at', time, (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('reported', 'integer', (c) => c.notNull())
    .execute();

  // Partial indexes hold only what is still to prune, so a pass never re-reads rows pruned before.
  await db.schema
    .createIndex('messages_payload_expiry')
    .on('messages')
    .column('payload_expires_at')
    .where(sql.ref('payload'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('attempts_response_kept')
    .on('attempts')
    .column('created_at')
    .where(sql.ref('response'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('inbound_events_body_expiry')
    .on('inbound_events')
    .column('body_expires_at')
    .where(sql.ref('body'), 'is not', null)
    .execute();
  await db.schema.createIndex('inbound_dedup_expiry').on('inbound_dedup').column('expires_at').execute();
}
