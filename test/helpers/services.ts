import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Real PostgreSQL / Redis for tests. Each run gets its own database or key prefix and removes it afterwards.
 * Locally a missing service skips the suites that need it, with the reason printed; under CI=true it fails them.
 */
export const postgresAdminUrl = process.env.HOOKYARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const redisTestUrl = process.env.HOOKYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

let postgresProbe: Promise<string | null> | undefined;

/** null when PostgreSQL answers, else why not. */
export function postgresUnavailable(): Promise<string | null> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (error) {
      return `PostgreSQL not reachable at ${postgresAdminUrl}: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresProbe;
}

/** Skip option for node:test; in CI a missing service must fail instead of silently skipping. */
export async function skipUnlessPostgres(): Promise<false | string> {
  const reason = await postgresUnavailable();
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL: ${reason}`);
  console.log(`# skipping PostgreSQL suite: ${reason}`);
  return reason;
}

export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hookyard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresAdminUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A key prefix of its own on the shared Redis; `drop` deletes every key under it. */
export async function createTestRedisPrefix(): Promise<{ url: string; prefix: string; drop: () => Promise<void> }> {
  const prefix = `hookyard-test-${randomBytes(6).toString('hex')}:`;
  return {
    url: redisTestUrl,
    prefix,
    async drop() {
      const redis = new Redis(redisTestUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

let redisProbe: Promise<string | null> | undefined;

/** null when Redis answers, else why not. */
export function redisUnavailable(): Promise<string | null> {
  redisProbe ??= (async () => {
    const redis = new Redis(redisTestUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null });
    try {
      await redis.connect();
      await redis.ping();
      return null;
    } catch (error) {
      return `Redis not reachable at ${redisTestUrl}: ${(error as Error).message}`;
    } finally {
      redis.disconnect();
    }
  })();
  return redisProbe;
}

/** Skip option for suites that need both PostgreSQL and Redis; fails under CI=true like skipUnlessPostgres. */
export async function skipUnlessCluster(): Promise<false | string> {
  const reason = (await postgresUnavailable()) ?? (await redisUnavailable());
  if (reason === null) return false;
  if (process.env.CI === 'true') throw new Error(`CI requires PostgreSQL and Redis: ${reason}`);
  console.log(`# skipping cluster suite: ${reason}`);
  return reason;
}
