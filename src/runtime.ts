import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { buildServer } from './api/server.js';
import { TokenAuthenticator, bootstrapAdminToken } from './auth/tokens.js';
import { createLogger } from './core/logger.js';
import { resolveMainKey } from './core/main-key.js';
import { SecretBox } from './core/secret-box.js';
import { openStore, sqliteFilePath } from './store/open-store.js';
import type { Store } from './store/port.js';

export interface RunningHookyard {
  url: string;
  /** The SQLite file, or null on PostgreSQL. */
  dataFile: string | null;
  /** Set only on the first start without HOOKYARD_ADMIN_TOKEN: shown once, stored hashed. */
  generatedAdminToken: string | null;
  server: FastifyInstance;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
}

/** Wires store, API and workers from one validated configuration and starts listening. */
export async function startHookyard(config: Config, options: StartOptions = {}): Promise<RunningHookyard> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const now = options.now ?? Date.now;
  const mainKey = resolveMainKey(config.mainKey, config.dataDir);
  if (config.databaseUrl && mainKey.source !== 'config') {
    logger.warn('HOOKYARD_MAIN_KEY is not set: secrets are encrypted with a key in the data dir, which other processes will not have');
  }
  const secretBox = new SecretBox(mainKey.key);
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    sqliteSynchronous: config.sqliteSynchronous,
    secretBox,
    now,
  });
  await store.migrate();
  const generatedAdminToken = await bootstrapAdminToken(store, config.adminToken);
  const authenticator = new TokenAuthenticator(store, now);

  const server = await buildServer({
    config,
    store,
    authenticator,
    logger,
    now,
    wakeDelivery: () => undefined,
  });
  const address = await server.listen({ port: config.port, host: config.host });

  let closing: Promise<void> | undefined;
  return {
    url: address.replace('[::1]', 'localhost'),
    dataFile: config.databaseUrl ? null : sqliteFilePath(config.dataDir),
    generatedAdminToken,
    server,
    store,
    logger,
    close() {
      closing ??= (async () => {
        await server.close();
        await store.close();
      })();
      return closing;
    },
  };
}
