import type { Kysely } from 'kysely';

/** The headers each attempt was sent with (credential-like values redacted), shown with the attempt. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('attempts').addColumn('request_headers', 'text').execute();
}
