import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** Applications, endpoints, event types, messages, deliveries, attempts, tasks, tokens, idempotency, settings. */
export async function up(db: Kysely<unknown>, { idType, time }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('applications')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('uid', idType)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('throttle_rate', 'integer')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', time)
    .execute();
  await db.schema
    .createIndex('applications_uid_live')
    .on('applications')
    .column('uid')
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('endpoints')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('uid', idType)
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull())
    .addColumn('event_types', 'text')
    .addColumn('channels', 'text')
    .addColumn('throttle_rate', 'integer')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('secrets', 'text', (c) => c.notNull())
    .addColumn('retry_schedule', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('deleted_at', time)
    .execute();
  await db.schema.createIndex('endpoints_app').on('endpoints').columns(['app_id', 'id']).execute();
  await db.schema
    .createIndex('endpoints_uid_live')
    .on('endpoints')
    .columns(['app_id', 'uid'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('event_types')
    .addColumn('name', idType, (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('archived', 'integer', (c) => c.notNull())
    .addColumn('deprecated', 'integer', (c) => c.notNull())
    .addColumn('feature_flag', 'text')
    .addColumn('schemas', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_id', idType)
    .addColumn('channels', 'text')
    .addColumn('tags', 'text')
    .addColumn('payload', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('payload_expires_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('messages_app').on('messages').columns(['app_id', 'id']).execute();
  await db.schema.createIndex('messages_event_id').on('messages').columns(['app_id', 'event_id']).unique().execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('msg_id', idType, (c) => c.notNull())
    .addColumn('endpoint_id', idType, (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('attempt_count', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', time)
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', time)
    .addColumn('trigger_type', 'integer', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deliveries_msg_endpoint').on('deliveries').columns(['msg_id', 'endpoint_id']).unique().execute();
  await db.schema.createIndex('deliveries_endpoint').on('deliveries').columns(['endpoint_id', 'msg_id']).execute();
  // Only deliveries that still owe an attempt carry next_attempt_at, which keeps the claim index small.
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .column('next_attempt_at')
    .where(sql.ref('next_attempt_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('attempts')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('msg_id', idType, (c) => c.notNull())
    .addColumn('endpoint_id', idType, (c) => c.notNull())
    .addColumn('delivery_id', idType, (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response_status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text')
    .addColumn('response_duration_ms', 'integer', (c) => c.notNull())
    .addColumn('trigger_type', 'integer', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attempts_endpoint').on('attempts').columns(['endpoint_id', 'id']).execute();
  await db.schema.createIndex('attempts_msg').on('attempts').columns(['msg_id', 'id']).execute();

  await db.schema
    .createTable('background_tasks')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('app_id', idType, (c) => c.notNull())
    .addColumn('endpoint_id', idType, (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('app_id', idType)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time)
    .addColumn('revoked_at', time)
    .addColumn('last_used_at', time)
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('body', 'text')
    .addColumn('headers', 'text')
    .addColumn('locked_until', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();

  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}
