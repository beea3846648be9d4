import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Endpoint health for the circuit breaker and auto-disable, operational events, canceled deliveries. */
export async function up(db: Kysely<unknown>, { idType, time, dialect }: MigrationContext): Promise<void> {
  // Canceled deliveries keep the wire status `fail`; this tells them apart for endpoint stats.
  await db.schema.alterTable('deliveries').addColumn('canceled_at', time).execute();

  await db.schema
    .createTable('endpoint_health')
    .addColumn('endpoint_id', idType, (c) => c.primaryKey())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
    .addColumn('failing_since', time)
    .addColumn('last_failure_at', time)
    .addColumn('last_success_at', time)
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();

  // A sequence rather than a minted id, so that a consumer can resume strictly after the last event it saw.
  let events = db.schema.createTable('operational_events');
  events =
    dialect === 'postgres'
      ? events.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : events.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
  await events
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
}
