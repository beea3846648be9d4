/** The shapes the dashboard reads from the public API (see /api/v1/openapi.json); only the fields it uses. */

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator?: string | null;
  done: boolean;
}

export interface Application {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  metadata: Record<string, string>;
  payloadRetentionPeriod: number | null;
  createdAt: string;
  updatedAt: string;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface EndpointHealth {
  circuitState: CircuitState;
  halfOpensAt: string | null;
  consecutiveFailures: number;
  failingSince: string | null;
  lastFailureAt: string | null;
  lastSuccessAt: string | null;
}

export interface Endpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  filterTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  retrySchedule: number[] | null;
  createdAt: string;
  updatedAt: string;
  health?: EndpointHealth;
}

export interface DeliveryCounts {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
}

export interface AttemptLatency {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface EndpointStats extends DeliveryCounts {
  health?: EndpointHealth;
  attemptLatency?: AttemptLatency;
}

export interface Stats extends DeliveryCounts {
  since: string | null;
  until: string | null;
  /** Messages created in the range (published, and inbound events forwarded). */
  messages: number;
  attemptLatency: AttemptLatency;
}

/** One row of `GET /api/v1/stats/failing-endpoints`: an endpoint of an application, or a destination of a source. */
export interface FailingEndpoint {
  /** An application id, or a source id (`src_…`) for a source's destination. */
  appId: string;
  endpointId: string;
  url: string;
  disabled: boolean;
  consecutiveFailures: number;
  failingSince: string | null;
  lastFailureAt: string | null;
  circuitState: CircuitState;
}

/** Success = 0, Pending = 1, Fail = 2, Sending = 3. */
export type DeliveryStatus = 0 | 1 | 2 | 3;
export const STATUS_TEXT = ['success', 'pending', 'fail', 'sending'] as const;

export interface Message {
  id: string;
  eventType: string;
  eventId: string | null;
  payload: Record<string, unknown>;
  channels: string[] | null;
  tags: string[] | null;
  timestamp: string;
}

/** A message as routed to one endpoint (`…/endpoint/{id}/msg`). */
export interface EndpointMessage extends Message {
  status: DeliveryStatus;
  nextAttempt: string | null;
}

/** An endpoint as a message's destination (`…/msg/{id}/endpoint`). */
export interface Destination extends Endpoint {
  status: DeliveryStatus;
  nextAttempt: string | null;
}

export interface Attempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  /** The headers the request was sent with (credential-like values `[redacted]`); null once expunged, or for old attempts. */
  requestHeaders?: Record<string, string> | null;
  status: DeliveryStatus;
  timestamp: string;
  /** Scheduled = 0, Manual = 1. */
  triggerType: 0 | 1;
}

export interface EventType {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  schemas: Record<string, Record<string, unknown>> | null;
  createdAt: string;
  updatedAt: string;
}

export interface Source {
  id: string;
  uid: string | null;
  name: string;
  type: string;
  config: Record<string, unknown>;
  ingestUrl: string;
  dedup: { windowSeconds: number; jsonPath: string | null; header: string | null };
  schemas: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export const INBOUND_STATES = ['received', 'processed', 'failed', 'duplicate', 'quarantined', 'rejected'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];

export interface InboundEvent {
  id: string;
  sourceId: string;
  state: InboundState;
  stateReason: string | null;
  eventType: string | null;
  providerEventId: string | null;
  duplicateOf: string | null;
  msgId: string | null;
  validationErrors: { path: string; message: string }[] | null;
  request: { method: string; path: string; query: string; headers: Record<string, string>; contentType: string | null; bodySize: number };
  body?: { encoding: 'utf8' | 'base64'; data: string } | null;
  destinations?: { endpointId: string; status: DeliveryStatus; nextAttempt: string | null }[];
  replays: number;
  receivedAt: string;
  updatedAt: string;
}

export interface BackgroundTask {
  id: string;
  status: 'running' | 'finished' | 'failed';
  task: string;
  data?: { requeued: number } | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  appId: string | null;
  rateLimit: number | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface OAuthClient {
  id: string;
  name: string;
  scopes: string[];
  appId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorId: string | null;
  actorKind: string | null;
  action: string;
  method: string;
  path: string;
  statusCode: number;
  outcome: string;
  appId: string | null;
  ip: string;
}
