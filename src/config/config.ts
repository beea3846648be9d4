import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The whole runtime configuration, read and validated once at start and passed down as a typed object.
 * Environment variables win over the optional JSON config file (HOOKYARD_CONFIG or --config).
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Start of every Redis key and channel, so that several deployments (or test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** Connections this process may open to PostgreSQL. */
  databasePoolSize: number;
  databasePreparedStatements: boolean;
  adminToken: string | null;
  /** CIDRs that outbound delivery may reach although they are private, loopback or link-local. */
  allowPrivateNetworks: string[];
  /** Base URL used in links Hookyard hands out (app portal, ingest URLs). */
  publicUrl: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token that `GET /metrics` requires; null leaves it open (bind to a private network then). */
  metricsToken: string | null;
  /** A process running workers reports itself degraded when the oldest due delivery has waited longer, ms. */
  stuckQueueMs: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** `full` fsyncs every group commit (survives power loss); `normal` survives process crashes only. */
  sqliteSynchronous: 'full' | 'normal';
  /** base64 of 32 bytes; encrypts secrets at rest. Generated into the data dir when absent. */
  mainKey: string | null;
  /** Main keys being rotated away: they open secrets sealed with them, never seal. */
  previousMainKeys: string[];
  /** Seconds between delivery attempts: the first entry is the delay before the first retry. */
  retrySchedule: number[];
  /** Per-attempt request timeout, milliseconds. */
  requestTimeoutMs: number;
  /** Stored response bodies are cut to this many bytes. */
  responseBodyLimit: number;
  /** Also send svix-id / svix-timestamp / svix-signature besides the webhook-* headers. */
  sendSvixHeaders: boolean;
  /** Run delivery HTTP exchanges on a worker thread of their own instead of the main event loop. */
  senderThread: boolean;
  /** Consecutive failures that open an endpoint's circuit breaker. */
  circuitBreakerThreshold: number;
  /** How long an open breaker waits before letting one probe through, milliseconds. */
  circuitBreakerCooldownMs: number;
  /** An endpoint failing without a single success for this long is disabled, milliseconds. */
  endpointDisableAfterMs: number;
  /** Seconds an idle worker sleeps between polls when no wake-up arrives. */
  workerPollIntervalMs: number;
  /** How many deliveries one worker sends at once. */
  workerConcurrency: number;
  /** How long a claimed delivery stays leased to one worker, milliseconds. */
  deliveryLeaseMs: number;
  /**
   * On shutdown, how long deliveries already being sent may take to finish before they are aborted and put back in
   * the queue, milliseconds. The CLI allows the whole shutdown 30 s.
   */
  shutdownGraceMs: number;
  role: 'api' | 'worker' | 'all';
  /** API requests per second per credential (all may come at once); 0 turns the limit off. */
  apiRateLimit: number;
  /** Requests per second per client address on unauthenticated routes that take traffic (receiving, token); 0: off. */
  publicRateLimit: number;
  /** Lifetime of OAuth access tokens, seconds. */
  accessTokenTtlSeconds: number;
  /** Lifetime of OAuth refresh tokens (each rotation starts a new one), seconds. */
  refreshTokenTtlSeconds: number;
  /** Field names censored in every log line, wherever they appear (besides credentials, always censored). */
  logRedact: string[];
  /** Failed authentications allowed per client address per minute before it gets 429s; 0: no limit. */
  authFailureLimit: number;
  /** Days a received webhook's body is kept (for forwarding, retries and replay); its metadata is kept longer. */
  inboundRetentionDays: number;
  /** Days a message's payload is kept when neither the message nor its application says otherwise. */
  retentionDays: number;
  /** Days an attempt's response body is kept. */
  attemptRetentionDays: number;
  /** Days messages, attempts, inbound events and operational events are kept at all; 0 keeps them for ever. */
  metadataRetentionDays: number;
  /** How often worker processes prune expired content, milliseconds. */
  pruneIntervalMs: number;
  /** Where operational webhooks (endpoint.*, message.attempt.*, source.*) are sent; null sends none. */
  operationalWebhookUrl: string | null;
  /** `whsec_…` secret that signs operational webhooks; required with the URL. */
  operationalWebhookSecret: string | null;
  /** Rejected requests within the window that make a source `source.verification_failing`. */
  verificationFailingThreshold: number;
  verificationFailingWindowSeconds: number;
  /** The built dashboard (`npm run build:dashboard`) served at /dashboard. */
  dashboardDir: string;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting} ${message}`);
  }
}

type Source = Record<string, string | undefined>;

const DEFAULT_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000];

interface Setting<K extends keyof Config> {
  key: K;
  env: string;
  parse: (raw: string, env: string) => Config[K];
  fallback: () => Config[K];
}

function integer(min: number, max: number) {
  return (raw: string, env: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(env, `must be an integer (got ${JSON.stringify(raw)})`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(env, `must be between ${min} and ${max} (got ${value})`);
    return value;
  };
}

function oneOf<T extends string>(...allowed: T[]) {
  return (raw: string, env: string): T => {
    const value = raw.trim().toLowerCase() as T;
    if (!allowed.includes(value)) throw new ConfigError(env, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})`);
    return value;
  };
}

function boolean(raw: string, env: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(env, `must be true or false (got ${JSON.stringify(raw)})`);
}

function url(protocols: string[]) {
  return (raw: string, env: string): string | null => {
    if (raw.trim() === '') return null;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(env, `must be a URL (got ${JSON.stringify(redactUrl(raw))})`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(env, `must use ${protocols.join(' or ')} (got ${parsed.protocol})`);
    }
    return raw.trim();
  };
}

function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

export function parseCidr(raw: string, env: string): string {
  const value = raw.trim();
  const [address, bits, extra] = value.split('/');
  const family = isIP(address ?? '');
  const maxBits = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? maxBits : Number(bits);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > maxBits) {
    throw new ConfigError(env, `must be a comma-separated list of CIDRs such as 127.0.0.1/32 (got ${JSON.stringify(value)})`);
  }
  return `${address}/${prefix}`;
}

function cidrList(raw: string, env: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parseCidr(part, env));
}

function retrySchedule(raw: string, env: string): number[] {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part))) {
    throw new ConfigError(env, `must be comma-separated seconds such as 5,300,1800 (got ${JSON.stringify(raw)})`);
  }
  const values = parts.map(Number);
  if (values.length > 50 || values.some((v) => v > 7 * 24 * 3600)) {
    throw new ConfigError(env, 'allows at most 50 retries of at most 7 days each');
  }
  return values;
}

function mainKey(raw: string, env: string): string | null {
  if (raw.trim() === '') return null;
  const bytes = Buffer.from(raw.trim(), 'base64');
  if (bytes.length !== 32) throw new ConfigError(env, 'must be 32 bytes encoded as base64 (generate with: openssl rand -base64 32)');
  return raw.trim();
}

function webhookSecret(raw: string, env: string): string | null {
  const value = raw.trim();
  if (value === '') return null;
  const key = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  // Standard Webhooks: the part after the prefix is base64 of the key, 24 to 64 bytes.
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64').length : 0;
  if (bytes < 24 || bytes > 64) throw new ConfigError(env, 'must be whsec_ followed by base64 of 24 to 64 bytes');
  return `whsec_${key}`;
}

function adminToken(raw: string, env: string): string | null {
  if (raw.trim() === '') return null;
  if (raw.trim().length < 24) throw new ConfigError(env, 'must be at least 24 characters long');
  return raw.trim();
}

const settings: { [K in keyof Config]: Setting<K> } = {
  port: { key: 'port', env: 'HOOKYARD_PORT', parse: integer(0, 65535), fallback: () => 8071 },
  host: {
    key: 'host',
    env: 'HOOKYARD_HOST',
    parse: (raw, env) => {
      if (raw.trim() === '') throw new ConfigError(env, 'must not be empty');
      return raw.trim();
    },
    fallback: () => '127.0.0.1',
  },
  dataDir: { key: 'dataDir', env: 'HOOKYARD_DATA_DIR', parse: (raw) => resolve(raw), fallback: () => resolve('.hookyard') },
  databaseUrl: { key: 'databaseUrl', env: 'HOOKYARD_DATABASE_URL', parse: url(['postgres:', 'postgresql:']), fallback: () => null },
  redisUrl: { key: 'redisUrl', env: 'HOOKYARD_REDIS_URL', parse: url(['redis:', 'rediss:']), fallback: () => null },
  redisKeyPrefix: {
    key: 'redisKeyPrefix',
    env: 'HOOKYARD_REDIS_KEY_PREFIX',
    parse: (raw, env) => {
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(raw)) throw new ConfigError(env, 'must be 1-64 characters of letters, digits, _ . : -');
      return raw;
    },
    fallback: () => 'hookyard:',
  },
  databasePoolSize: { key: 'databasePoolSize', env: 'HOOKYARD_DATABASE_POOL_SIZE', parse: integer(2, 1000), fallback: () => 20 },
  databasePreparedStatements: { key: 'databasePreparedStatements', env: 'HOOKYARD_DATABASE_PREPARED_STATEMENTS', parse: boolean, fallback: () => true },
  adminToken: { key: 'adminToken', env: 'HOOKYARD_ADMIN_TOKEN', parse: adminToken, fallback: () => null },
  allowPrivateNetworks: { key: 'allowPrivateNetworks', env: 'HOOKYARD_ALLOW_PRIVATE_NETWORKS', parse: cidrList, fallback: () => [] },
  publicUrl: { key: 'publicUrl', env: 'HOOKYARD_PUBLIC_URL', parse: url(['http:', 'https:']), fallback: () => null },
  logLevel: {
    key: 'logLevel',
    env: 'HOOKYARD_LOG_LEVEL',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    fallback: () => 'info',
  },
  metricsToken: { key: 'metricsToken', env: 'HOOKYARD_METRICS_TOKEN', parse: adminToken, fallback: () => null },
  stuckQueueMs: { key: 'stuckQueueMs', env: 'HOOKYARD_STUCK_QUEUE_MS', parse: integer(1, 7 * 86_400_000), fallback: () => 300_000 },
  bodyLimit: { key: 'bodyLimit', env: 'HOOKYARD_BODY_LIMIT', parse: integer(1024, 64 * 1024 * 1024), fallback: () => 1024 * 1024 },
  sqliteSynchronous: { key: 'sqliteSynchronous', env: 'HOOKYARD_SQLITE_SYNCHRONOUS', parse: oneOf('full', 'normal'), fallback: () => 'full' },
  mainKey: { key: 'mainKey', env: 'HOOKYARD_MAIN_KEY', parse: mainKey, fallback: () => null },
  previousMainKeys: {
    key: 'previousMainKeys',
    env: 'HOOKYARD_PREVIOUS_MAIN_KEYS',
    parse: (raw, env) => raw.split(',').map((item) => mainKey(item, env)).filter((key): key is string => key !== null),
    fallback: () => [],
  },
  retrySchedule: { key: 'retrySchedule', env: 'HOOKYARD_RETRY_SCHEDULE', parse: retrySchedule, fallback: () => [...DEFAULT_RETRY_SCHEDULE] },
  requestTimeoutMs: { key: 'requestTimeoutMs', env: 'HOOKYARD_REQUEST_TIMEOUT_MS', parse: integer(100, 300_000), fallback: () => 15_000 },
  responseBodyLimit: { key: 'responseBodyLimit', env: 'HOOKYARD_RESPONSE_BODY_LIMIT', parse: integer(0, 1024 * 1024), fallback: () => 20_000 },
  sendSvixHeaders: { key: 'sendSvixHeaders', env: 'HOOKYARD_SEND_SVIX_HEADERS', parse: boolean, fallback: () => true },
  senderThread: { key: 'senderThread', env: 'HOOKYARD_SENDER_THREAD', parse: boolean, fallback: () => true },
  circuitBreakerThreshold: { key: 'circuitBreakerThreshold', env: 'HOOKYARD_CIRCUIT_BREAKER_THRESHOLD', parse: integer(1, 10_000), fallback: () => 10 },
  circuitBreakerCooldownMs: { key: 'circuitBreakerCooldownMs', env: 'HOOKYARD_CIRCUIT_BREAKER_COOLDOWN_MS', parse: integer(10, 86_400_000), fallback: () => 30_000 },
  endpointDisableAfterMs: {
    key: 'endpointDisableAfterMs',
    env: 'HOOKYARD_ENDPOINT_DISABLE_AFTER_MS',
    parse: integer(1000, 365 * 86_400_000),
    fallback: () => 5 * 86_400_000,
  },
  workerPollIntervalMs: { key: 'workerPollIntervalMs', env: 'HOOKYARD_WORKER_POLL_INTERVAL_MS', parse: integer(10, 60_000), fallback: () => 1000 },
  workerConcurrency: { key: 'workerConcurrency', env: 'HOOKYARD_WORKER_CONCURRENCY', parse: integer(1, 10_000), fallback: () => 512 },
  deliveryLeaseMs: { key: 'deliveryLeaseMs', env: 'HOOKYARD_DELIVERY_LEASE_MS', parse: integer(1000, 3_600_000), fallback: () => 60_000 },
  shutdownGraceMs: { key: 'shutdownGraceMs', env: 'HOOKYARD_SHUTDOWN_GRACE_MS', parse: integer(0, 25_000), fallback: () => 10_000 },
  role: { key: 'role', env: 'HOOKYARD_ROLE', parse: oneOf('api', 'worker', 'all'), fallback: () => 'all' },
  apiRateLimit: { key: 'apiRateLimit', env: 'HOOKYARD_API_RATE_LIMIT', parse: integer(0, 1_000_000), fallback: () => 1000 },
  accessTokenTtlSeconds: { key: 'accessTokenTtlSeconds', env: 'HOOKYARD_ACCESS_TOKEN_TTL_SECONDS', parse: integer(60, 86_400), fallback: () => 900 },
  refreshTokenTtlSeconds: { key: 'refreshTokenTtlSeconds', env: 'HOOKYARD_REFRESH_TOKEN_TTL_SECONDS', parse: integer(300, 365 * 86_400), fallback: () => 30 * 86_400 },
  logRedact: {
    key: 'logRedact',
    env: 'HOOKYARD_LOG_REDACT',
    parse: (raw, env) => {
      const fields = raw.split(',').map((field) => field.trim()).filter(Boolean);
      for (const field of fields) if (!/^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(field)) throw new ConfigError(env, `has an invalid field name ${JSON.stringify(field)}`);
      return fields;
    },
    fallback: () => ['password', 'passwd', 'apiKey', 'api_key', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'clientSecret', 'client_secret', 'cardNumber', 'cvv'],
  },
  authFailureLimit: { key: 'authFailureLimit', env: 'HOOKYARD_AUTH_FAILURE_LIMIT', parse: integer(0, 1_000_000), fallback: () => 20 },
  inboundRetentionDays: { key: 'inboundRetentionDays', env: 'HOOKYARD_INBOUND_RETENTION_DAYS', parse: integer(1, 3650), fallback: () => 30 },
  publicRateLimit: { key: 'publicRateLimit', env: 'HOOKYARD_PUBLIC_RATE_LIMIT', parse: integer(0, 1_000_000), fallback: () => 500 },
  retentionDays: { key: 'retentionDays', env: 'HOOKYARD_RETENTION_DAYS', parse: integer(1, 3650), fallback: () => 90 },
  attemptRetentionDays: { key: 'attemptRetentionDays', env: 'HOOKYARD_ATTEMPT_RETENTION_DAYS', parse: integer(1, 3650), fallback: () => 30 },
  metadataRetentionDays: { key: 'metadataRetentionDays', env: 'HOOKYARD_METADATA_RETENTION_DAYS', parse: integer(0, 36_500), fallback: () => 0 },
  pruneIntervalMs: { key: 'pruneIntervalMs', env: 'HOOKYARD_PRUNE_INTERVAL_MS', parse: integer(10, 86_400_000), fallback: () => 600_000 },
  operationalWebhookUrl: { key: 'operationalWebhookUrl', env: 'HOOKYARD_OPERATIONAL_WEBHOOK_URL', parse: url(['http:', 'https:']), fallback: () => null },
  operationalWebhookSecret: { key: 'operationalWebhookSecret', env: 'HOOKYARD_OPERATIONAL_WEBHOOK_SECRET', parse: webhookSecret, fallback: () => null },
  verificationFailingThreshold: {
    key: 'verificationFailingThreshold',
    env: 'HOOKYARD_VERIFICATION_FAILING_THRESHOLD',
    parse: integer(1, 1_000_000),
    fallback: () => 10,
  },
  verificationFailingWindowSeconds: {
    key: 'verificationFailingWindowSeconds',
    env: 'HOOKYARD_VERIFICATION_FAILING_WINDOW_SECONDS',
    parse: integer(1, 86_400),
    fallback: () => 900,
  },
  dashboardDir: {
    key: 'dashboardDir',
    env: 'HOOKYARD_DASHBOARD_DIR',
    parse: (raw) => resolve(raw),
    fallback: () => fileURLToPath(new URL('../../dashboard/dist', import.meta.url)),
  },
};

function readConfigFile(path: string): Source {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('HOOKYARD_CONFIG', `could not be read as JSON from ${path}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('HOOKYARD_CONFIG', `must hold a JSON object (${path})`);
  }
  const source: Source = {};
  const known = new Map(Object.values(settings).map((s) => [s.key as string, s.env]));
  for (const [key, value] of Object.entries(parsed)) {
    const env = known.get(key);
    if (env === undefined) throw new ConfigError('HOOKYARD_CONFIG', `has an unknown setting ${JSON.stringify(key)} (${path})`);
    source[env] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return source;
}

/**
 * Builds the configuration from the environment and an optional file.
 * Throws ConfigError naming the first bad setting.
 */
export function loadConfig(env: Source = process.env, options: { configFile?: string; overrides?: Partial<Config> } = {}): Config {
  const file = options.configFile ?? env.HOOKYARD_CONFIG;
  const source: Source = { ...(file ? readConfigFile(file) : {}), ...env };
  const config = {} as Record<keyof Config, unknown>;
  for (const setting of Object.values(settings) as Setting<keyof Config>[]) {
    const raw = source[setting.env];
    config[setting.key] = raw === undefined ? setting.fallback() : setting.parse(raw, setting.env);
  }
  const result = { ...(config as Config), ...options.overrides };
  if (result.operationalWebhookUrl !== null && result.operationalWebhookSecret === null) {
    throw new ConfigError('HOOKYARD_OPERATIONAL_WEBHOOK_SECRET', 'must be set when HOOKYARD_OPERATIONAL_WEBHOOK_URL is');
  }
  return result;
}
