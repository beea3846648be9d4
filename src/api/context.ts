import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { TokenAuthenticator, Principal } from '../auth/tokens.js';
import type { Coordination } from '../coordination/port.js';
import type { AuthorizationServer } from '../auth/oauth/authorization-server.js';
import type { SecretBox } from '../core/secret-box.js';
import type { SourceDirectory } from '../inbound/source-directory.js';
import type { ApplicationCache } from './application/cache.js';
import type { HookyardMetrics } from '../observability/metrics.js';
import type { QueueWatch } from '../observability/queue-watch.js';
import type { Application, Store } from '../store/port.js';
import type { WorkerHandoff } from '../delivery/worker.js';
import { forbidden, notFound, unauthorized } from './errors.js';

/** What route modules receive; nothing reaches into globals. */
export interface ApiDeps {
  config: Config;
  store: Store;
  /** Seals what the API must keep but never show in clear (stored idempotent responses). */
  secretBox: SecretBox;
  authenticator: TokenAuthenticator;
  /** The OAuth 2.0 authorization server (token, revoke, introspect; sessions). */
  oauth: AuthorizationServer;
  logger: Logger;
  /** This process's Prometheus metrics. */
  metrics: HookyardMetrics;
  /** The delivery queue's state (due work, breakers), read at most about once a second. */
  queue: QueueWatch;
  now: () => number;
  /** Called after writes that create due work, so that idle workers, here and in other processes, start at once. */
  wakeDelivery: () => void;
  /** This process's delivery worker, offered a new message's deliveries to send at once; absent without a worker. */
  deliveryHandoff?: (appThrottleRate: number | null) => WorkerHandoff | null;
  /** What the API uses of the shared coordination: how Redis is doing, and request quotas. */
  coordination: Pick<Coordination, 'health' | 'rateLimiter'>;
  /** Runs a background task (endpoint recovery, inbound replay) just created in the store. */
  startTask: (taskId: string) => void;
  /** Applications as the publish route reads them (briefly cached). */
  applications: ApplicationCache;
  /** Finds inbound sources by the token of their ingest URL. */
  sources: SourceDirectory;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Routes reachable without a token (health, docs). */
    public?: boolean;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}

/** Organisation-wide operations (listing all applications, event type writes) need an unconfined credential. */
export function requireOrganisationAccess(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (principal.appId !== null) throw forbidden('This credential is confined to one application.');
  return principal;
}

/**
 * Loads the application named in the path. A credential confined to another application gets 403 before any
 * lookup, so it cannot probe which applications exist.
 */
export async function loadApplication(deps: ApiDeps, request: FastifyRequest, idOrUid: string, options: { cached?: boolean } = {}): Promise<Application> {
  const principal = principalOf(request);
  // Publishing reads through the cache (its hot path); changes to applications never do.
  const lookup = (key: string) => (options.cached ? deps.applications.get(key) : deps.store.getApplication(key));
  if (principal.appId !== null) {
    const own = await lookup(principal.appId);
    if (!own || (own.id !== idOrUid && own.uid !== idOrUid)) throw forbidden('This credential is confined to another application.');
    return own;
  }
  const app = await lookup(idOrUid);
  if (!app) throw notFound();
  return app;
}
