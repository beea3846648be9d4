import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Inbound sources, the events they receive, their dedup records, and the link from a message to its event. */
export async function up(db: Kysely<unknown>, { idType, time, bytes }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sources')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('uid', idType)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // The whole scheme config, sealed: which of its fields are secrets is the verifier's business, not the store's.
    .addColumn('config_sealed', 'text', (c) => c.notNull())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('previous_token_hash', 'text')
    .addColumn('previous_token_expires_at', time)
    .addColumn('dedup', 'text', (c) => c.notNull())
    .addColumn('schemas', 'text')
    .addColumn('response', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', time)
    .execute();
  await db.schema
    .createIndex('sources_uid_live')
    .on('sources')
    .column('uid')
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema.createIndex('sources_token_hash').on('sources').column('token_hash').unique().execute();
  await db.schema.createIndex('sources_previous_token_hash').on('sources').column('previous_token_hash').execute();

  await db.schema
    .createTable('inbound_events')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('source_id', idType, (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('event_type', 'text')
    .addColumn('provider_event_id', 'text')
    .addColumn('dedup_key', 'text')
    .addColumn('duplicate_of', idType)
    .addColumn('msg_id', idType)
    .addColumn('validation_errors', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text')
    .addColumn('body_size', 'integer', (c) => c.notNull())
    .addColumn('body_sha256', 'text', (c) => c.notNull())
    .addColumn('body', bytes)
    // Null when no body was kept (rejected requests).
    .addColumn('body_expires_at', time)
    .addColumn('replays', 'integer', (c) => c.notNull())
    .addColumn('received_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbound_events_source').on('inbound_events').columns(['source_id', 'id']).execute();
  await db.schema.createIndex('inbound_events_state').on('inbound_events').columns(['source_id', 'state', 'id']).execute();
  await db.schema.createIndex('inbound_events_msg').on('inbound_events').column('msg_id').execute();

  // One row per remembered dedup key; the primary key is what makes two concurrent receives of one event collide.
  await db.schema
    .createTable('inbound_dedup')
    .addColumn('source_id', idType, (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('event_id', idType, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('inbound_dedup_pk', ['source_id', 'dedup_key'])
    .execute();

  await db.schema.alterTable('messages').addColumn('source_event_id', idType).execute();
}
