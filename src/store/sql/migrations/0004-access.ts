import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

/** API keys (prefix, per-key rate limit), the audit log, and the OAuth 2.0 authorization server's state. */
export async function up(db: Kysely<unknown>, { idType, time }: MigrationContext): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('prefix', 'text').execute();
  await db.schema.alterTable('api_tokens').addColumn('rate_limit', 'integer').execute();
  await db.schema.createIndex('api_tokens_kind').on('api_tokens').columns(['kind', 'id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('at', time, (c) => c.notNull())
    .addColumn('actor_id', idType)
    .addColumn('actor_kind', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('app_id', idType)
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor_id', 'id']).execute();

  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // Client secrets are high-entropy and only ever compared: a hash, like every other credential here.
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('previous_secret_hash', 'text')
    .addColumn('previous_secret_expires_at', time)
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('app_id', idType)
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .addColumn('revoked_at', time)
    .execute();

  await db.schema
    .createTable('oauth_refresh_tokens')
    .addColumn('id', idType, (c) => c.primaryKey())
    // Every token minted by rotating one sign-in shares its family: reuse of a rotated token revokes them all.
    .addColumn('family_id', idType, (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('subject_id', idType, (c) => c.notNull())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('app_id', idType)
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('used_at', time)
    .addColumn('revoked_at', time)
    .execute();
  await db.schema.createIndex('oauth_refresh_tokens_family').on('oauth_refresh_tokens').column('family_id').execute();

  // Access tokens are signed and verified without the store; revoking one (or its family) is remembered here
  // until the token would have expired anyway.
  await db.schema
    .createTable('oauth_revocations')
    .addColumn('id', idType, (c) => c.primaryKey())
    .addColumn('expires_at', time, (c) => c.notNull())
    .execute();
}
