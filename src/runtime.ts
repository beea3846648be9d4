import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config/config.js';
import { buildServer } from './api/server.js';
import { TokenAuthenticator, bootstrapAdminToken } from './auth/tokens.js';
import { openCoordination } from './coordination/open-coordination.js';
import type { Coordination } from './coordination/port.js';
import { createLogger } from './core/logger.js';
import { resolveMainKey } from './core/main-key.js';
import { SecretBox } from './core/secret-box.js';
import { BackgroundTasks } from './core/background-tasks.js';
import { AccessTokens } from './auth/oauth/access-tokens.js';
import { AuthorizationServer } from './auth/oauth/authorization-server.js';
import { recoverEndpoint } from './delivery/recovery.js';
import { replayEvents } from './inbound/replay.js';
import { SourceDirectory } from './inbound/source-directory.js';
import { ApplicationCache } from './api/application/cache.js';
import { DeliveryWorker } from './delivery/worker.js';
import { AddressPolicy, refusedLiteralUrl } from './delivery/ssrf.js';
import { OperationalForwarder } from './operational/forwarder.js';
import { Pruner } from './retention/pruner.js';
import { openStore, sqliteFilePath } from './store/open-store.js';
import { HookyardMetrics } from './observability/metrics.js';
import { QueueWatch } from './observability/queue-watch.js';
import type { Store } from './store/port.js';

export interface RunningHookyard {
  url: string;
  /** The SQLite file, or null on PostgreSQL. */
  dataFile: string | null;
  /** Set only on the first start without HOOKYARD_ADMIN_TOKEN: shown once, stored hashed. */
  generatedAdminToken: string | null;
  server: FastifyInstance;
  store: Store;
  coordination: Coordination;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  now?: () => number;
}

/** Wires store, API and workers from one validated configuration and starts listening. */
export async function startHookyard(config: Config, options: StartOptions = {}): Promise<RunningHookyard> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, config.logRedact);
  const now = options.now ?? Date.now;
  checkOperationalWebhookUrl(config);
  const mainKey = resolveMainKey(config.mainKey, config.dataDir, config.previousMainKeys);
  if (config.databaseUrl && mainKey.source !== 'config') {
    logger.warn('HOOKYARD_MAIN_KEY is not set: secrets are encrypted with a key in the data dir, which other processes will not have');
  }
  const secretBox = new SecretBox(mainKey.key, mainKey.previous);
  const metrics = new HookyardMetrics();
  const storeKind = config.databaseUrl ? 'postgres' : 'sqlite';
  const store = await openStore({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    databasePoolSize: config.databasePoolSize,
    databasePreparedStatements: config.databasePreparedStatements,
    sqliteSynchronous: config.sqliteSynchronous,
    secretBox,
    now,
    onCommitBatch: (writes, ms) => metrics.storeCommitted(storeKind, writes, ms),
  });
  await store.migrate();
  const queue = new QueueWatch({ store, breakerThreshold: config.circuitBreakerThreshold, now });
  metrics.watchQueue(() => queue.read(), now);
  const generatedAdminToken = await bootstrapAdminToken(store, config.adminToken);
  const authenticator = new TokenAuthenticator(store, now);
  const oauth = new AuthorizationServer({
    store,
    tokens: new AccessTokens([mainKey.key, ...mainKey.previous], config.publicUrl ?? 'hookyard', config.accessTokenTtlSeconds),
    authenticator,
    refreshLifetimeSeconds: config.refreshTokenTtlSeconds,
    now,
  });
  authenticator.accessTokens = (token) => oauth.principalOf(token);

  const coordination = await openCoordination(config, store, logger);

  const worker =
    config.role === 'api' ? null : new DeliveryWorker({ store, config, logger, now, throttle: coordination.throttle, probes: coordination.probes, metrics });
  // Other processes' API calls wake this worker through the shared signal; this process's own wake it directly.
  const unsubscribe = worker ? coordination.signal.subscribe(() => worker.wake()) : () => undefined;
  const wakeDelivery = () => {
    worker?.wake();
    coordination.signal.announce();
  };
  const forwarder = worker && (await startOperationalWebhooks(config, store, logger, wakeDelivery));
  const pruner = worker && new Pruner(store, config, { intervalMs: config.pruneIntervalMs, now, logger: logger.child({ component: 'retention' }) });
  const tasks = new BackgroundTasks(
    store,
    { 'endpoint.recover': (task) => recoverEndpoint(store, task), 'source.replay': (task) => replayEvents(store, task) },
    logger,
    wakeDelivery,
  );

  const server = await buildServer({
    config,
    store,
    secretBox,
    authenticator,
    oauth,
    logger,
    metrics,
    queue,
    now,
    wakeDelivery,
    deliveryHandoff: worker ? (appThrottleRate) => worker.handoff(appThrottleRate) : undefined,
    coordination,
    sources: new SourceDirectory(store, now),
    applications: new ApplicationCache(store, now),
    startTask: (taskId) => tasks.start(taskId),
  });
  const address = await server.listen({ port: config.port, host: config.host });
  worker?.start();
  forwarder?.start();
  pruner?.start();

  let closing: Promise<void> | undefined;
  return {
    url: address.replace('[::1]', 'localhost'),
    dataFile: config.databaseUrl ? null : sqliteFilePath(config.dataDir),
    generatedAdminToken,
    server,
    store,
    coordination,
    logger,
    close() {
      closing ??= (async () => {
        // Deliveries are stopped and their leases released while the store is still open.
        await Promise.all([server.close(), worker?.stop(config.shutdownGraceMs), forwarder?.stop(), pruner?.stop()]);
        unsubscribe();
        await tasks.close();
        await coordination.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** The operator URL passes the guard of endpoints created through the API; names are checked again at send time. */
function checkOperationalWebhookUrl(config: Config): void {
  if (config.operationalWebhookUrl === null) return;
  const refused = refusedLiteralUrl(config.operationalWebhookUrl, new AddressPolicy(config.allowPrivateNetworks));
  if (refused !== null) throw new ConfigError('HOOKYARD_OPERATIONAL_WEBHOOK_URL', `is refused: ${refused}`);
}

/**
 * Points the operator endpoint at the configured URL (or removes it) and returns the forwarder that feeds it; null
 * when no URL is configured. Worker processes do this: they are the ones that send.
 */
async function startOperationalWebhooks(config: Config, store: Store, logger: Logger, wakeDelivery: () => void): Promise<OperationalForwarder | null> {
  const url = config.operationalWebhookUrl;
  const secret = config.operationalWebhookSecret;
  if (url === null || secret === null) {
    await store.configureOperationalWebhook(null);
    return null;
  }
  await store.configureOperationalWebhook({ url, secret });
  return new OperationalForwarder({
    store,
    intervalMs: config.workerPollIntervalMs,
    payloadRetentionDays: config.retentionDays,
    logger: logger.child({ component: 'operational-webhooks' }),
    onForwarded: wakeDelivery,
  });
}
