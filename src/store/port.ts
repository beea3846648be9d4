/**
 * The storage port: everything the API and the engines need from persistence, in domain terms.
 * Adapters (SQLite, PostgreSQL) implement it; the conformance suite in test/store runs against each of them.
 * Expected outcomes (conflict, missing row, stale version) are values, not exceptions.
 */

import type { Logger } from 'pino';
import type { WorkSignal } from '../coordination/port.js';

export type Ordering = 'ascending' | 'descending';

export interface PageQuery {
  limit: number;
  /** An id from a previous page; a leading '-' walks back (Svix's prevIterator). */
  iterator?: string | null;
  order?: Ordering;
}

export interface Page<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; reason: 'conflict'; detail: string }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'version_mismatch' };

export type Metadata = Record<string, string>;

export interface Application {
  id: string;
  uid: string | null;
  name: string;
  throttleRate: number | null;
  metadata: Metadata;
  /** Days its new messages keep their payload unless they say otherwise; null: the configured default. Extension. */
  payloadRetentionPeriod: number | null;
  createdAt: Date;
  updatedAt: Date;
  /** Increments on every change; the API's ETag is derived from it. */
  version: number;
}

export interface ApplicationInput {
  name: string;
  uid: string | null;
  throttleRate: number | null;
  metadata: Metadata;
  /** Absent: null. */
  payloadRetentionPeriod?: number | null;
}

export interface EndpointSecret {
  /** `whsec_` + base64. */
  key: string;
  /** When the secret stops being used for signing; null for the current secret. */
  expiresAt: Date | null;
}

export interface Endpoint {
  id: string;
  appId: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  eventTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  metadata: Metadata;
  headers: Record<string, string>;
  /** Current secret first, then rotated-out secrets still inside their grace period. */
  secrets: EndpointSecret[];
  /** Per-endpoint retry schedule in seconds, overriding the global one. Extension. */
  retrySchedule: number[] | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface EndpointInput {
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  eventTypes: string[] | null;
  channels: string[] | null;
  throttleRate: number | null;
  metadata: Metadata;
  headers: Record<string, string>;
  retrySchedule: number[] | null;
  /** Only on create and rotation; updates keep the stored secrets. */
  secret?: string;
}

export interface EventType {
  name: string;
  description: string;
  archived: boolean;
  deprecated: boolean;
  featureFlag: string | null;
  schemas: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export type EventTypeInput = Omit<EventType, 'createdAt' | 'updatedAt' | 'version'>;

export interface Message {
  id: string;
  appId: string;
  eventType: string;
  eventId: string | null;
  channels: string[] | null;
  tags: string[] | null;
  /** The payload as the JSON text that is sent; null once expunged or pruned. */
  payload: string | null;
  createdAt: Date;
  /** When the payload may be pruned. */
  payloadExpiresAt: Date;
}

export interface MessageInput {
  eventType: string;
  eventId: string | null;
  channels: string[] | null;
  tags: string[] | null;
  payload: string;
  payloadRetentionDays: number;
  /** Hold deliveries until this time (Svix `deliverAt`). */
  deliverAt: Date | null;
}

/** Svix MessageStatus numbers: these are on the wire. */
export const DeliveryStatus = { success: 0, pending: 1, fail: 2, sending: 3 } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** Svix MessageAttemptTriggerType numbers. */
export const TriggerType = { scheduled: 0, manual: 1 } as const;
export type TriggerType = (typeof TriggerType)[keyof typeof TriggerType];

/** One message owed to one endpoint (Svix's "message destination"). */
export interface Delivery {
  id: string;
  appId: string;
  msgId: string;
  endpointId: string;
  status: DeliveryStatus;
  /** Attempts made so far in the current run (resets on manual resend). */
  attemptCount: number;
  nextAttemptAt: Date | null;
  triggerType: TriggerType;
  createdAt: Date;
  updatedAt: Date;
}

export interface Attempt {
  id: string;
  appId: string;
  msgId: string;
  endpointId: string;
  deliveryId: string;
  url: string;
  status: DeliveryStatus;
  responseStatusCode: number;
  /** Response body cut to the configured size; null once expunged or pruned. */
  response: string | null;
  /** The request's headers as sent (credential-like values redacted); null once expunged or pruned. */
  requestHeaders: Record<string, string> | null;
  responseDurationMs: number;
  triggerType: TriggerType;
  createdAt: Date;
}

/** Decides which of an application's endpoints receive a message; the routing rules live in the domain. */
/** What routing looks at: never secrets, so that publishing decrypts nothing. */
export type RoutableEndpoint = Pick<Endpoint, 'id' | 'disabled' | 'eventTypes' | 'channels'>;

export type MessageRouter = <E extends RoutableEndpoint>(message: Pick<Message, 'eventType' | 'channels'>, endpoints: readonly E[]) => E[];

export interface CreatedMessage {
  message: Message;
  deliveries: Delivery[];
  /** The deliveries created already leased to the handoff's worker, ready to send: all of them, or none. */
  leased: ClaimedDelivery[];
}

/**
 * Lets the process that accepts a message send its deliveries itself: they are created leased to its worker, as a
 * claim would have left them, and handed back with everything sending needs, so that no claim (a transaction and a
 * read of what was just written) stands between the commit and the first attempt. A crash before they are sent is
 * a lost lease like any other: the deliveries come due again when it runs out.
 */
export interface DeliveryHandoff {
  /**
   * Asked once the message is routed, before its deliveries are written, for `count` deliveries due now: the lease
   * to create them under, or null to queue them for a claim as usual (the worker has no room, or is stopping). The
   * write may still fail after a lease (a duplicate eventId): the lease then holds no delivery.
   */
  lease(count: number): DeliveryLease | null;
  /** The application's throttle, for endpoints without their own (as a claim reads it). */
  appThrottleRate: number | null;
}

export interface EndpointMessage {
  message: Message;
  delivery: Delivery;
}

export interface MessageDestination {
  endpoint: Endpoint;
  delivery: Delivery;
}

export interface EndpointStats {
  success: number;
  pending: number;
  fail: number;
  sending: number;
  canceled: number;
}

export interface TimeRange {
  since?: Date | null;
  until?: Date | null;
}

export interface MessageFilter extends TimeRange {
  channel?: string | null;
  eventTypes?: string[] | null;
  /** Only for listing by endpoint. */
  status?: DeliveryStatus | null;
}

export interface AttemptFilter extends TimeRange {
  status?: DeliveryStatus | null;
  /** 0 = no response, 100..500 = that hundred. */
  statusCodeClass?: number | null;
  channel?: string | null;
  eventTypes?: string[] | null;
  endpointId?: string | null;
}

export type BackgroundTaskStatus = 'running' | 'finished' | 'failed';

/**
 * Long operations run in the background: `endpoint.recover` re-queues an endpoint's failed deliveries in a time
 * range; `source.replay` replays a source's inbound events matching a filter (appId holds the source id).
 */
export interface BackgroundTask {
  id: string;
  kind: 'endpoint.recover' | 'source.replay';
  status: BackgroundTaskStatus;
  appId: string;
  /** Null for source tasks. */
  endpointId: string | null;
  params: { since: string | null; until: string | null; states?: InboundEventState[] | null; eventTypes?: string[] | null };
  /** How many deliveries (recover) or events (replay) were re-queued. */
  result: { requeued: number } | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * `admin`: the bootstrap or configured operator token. `app_portal`: a consumer-portal session confined to one
 * application. `api_key`: a key made through the API or CLI, with scopes. `session`: a short-lived access token
 * issued by `/oauth/token`.
 */
export type PrincipalKind = 'admin' | 'app_portal' | 'api_key' | 'session';

export interface ApiToken {
  id: string;
  kind: PrincipalKind;
  /** Set for tokens confined to one application. */
  appId: string | null;
  name: string;
  scopes: string[];
  /** The visible start of an API key (`hyk_1a2b3c4d`), to tell keys apart; null for other kinds. */
  prefix: string | null;
  /** Requests per second for this credential; null: the configured default. */
  rateLimit: number | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface ApiTokenInput {
  kind: PrincipalKind;
  appId: string | null;
  name: string;
  scopes: string[];
  tokenHash: string;
  expiresAt: Date | null;
  prefix?: string | null;
  rateLimit?: number | null;
}

export interface AuditEntry {
  id: string;
  at: Date;
  /** The credential (token, key or client id) that acted; null when none could be identified. */
  actorId: string | null;
  actorKind: PrincipalKind | 'oauth_client' | null;
  /** The operation, named by its API operation id (`v1.endpoint.create`), or `authenticate`. */
  action: string;
  method: string;
  path: string;
  statusCode: number;
  /** `success`; `denied` (403: not allowed); `unauthenticated` (401); `throttled` (429 on repeated failures). */
  outcome: 'success' | 'denied' | 'unauthenticated' | 'throttled';
  appId: string | null;
  ip: string;
  requestId: string;
}

export interface AuditFilter extends TimeRange {
  actorId?: string | null;
  action?: string | null;
  outcome?: AuditEntry['outcome'] | null;
}

export interface AuditStore {
  recordAudit(entries: Omit<AuditEntry, 'id'>[]): Promise<void>;
  /** Newest first by default. */
  listAudit(query: PageQuery, filter: AuditFilter): Promise<Page<AuditEntry>>;
}

export type IdempotencyClaim =
  | { state: 'claimed' }
  | { state: 'completed'; fingerprint: string; statusCode: number; body: string; headers: Record<string, string> }
  | { state: 'in_flight'; fingerprint: string };

export interface IdempotencyRecord {
  /** Caller, method, path and key, hashed. */
  scope: string;
  fingerprint: string;
  lockedUntil: Date;
  expiresAt: Date;
}

export interface ApplicationStore {
  createApplication(input: ApplicationInput): Promise<Outcome<Application>>;
  /** By id or uid. */
  getApplication(idOrUid: string): Promise<Application | undefined>;
  listApplications(query: PageQuery): Promise<Page<Application>>;
  updateApplication(id: string, input: ApplicationInput, expectedVersion?: number): Promise<Outcome<Application>>;
  deleteApplication(id: string, expectedVersion?: number): Promise<Outcome<void>>;
}

export interface EndpointStore {
  createEndpoint(appId: string, input: EndpointInput & { secret: string }): Promise<Outcome<Endpoint>>;
  /** By id or uid, within one application. */
  getEndpoint(appId: string, idOrUid: string): Promise<Endpoint | undefined>;
  listEndpoints(appId: string, query: PageQuery): Promise<Page<Endpoint>>;
  updateEndpoint(appId: string, id: string, input: EndpointInput, expectedVersion?: number): Promise<Outcome<Endpoint>>;
  deleteEndpoint(appId: string, id: string, expectedVersion?: number): Promise<Outcome<void>>;
  /** New current secret; the previous one stays valid for signing until `previousExpiresAt`. */
  rotateEndpointSecret(appId: string, id: string, newSecret: string, previousExpiresAt: Date): Promise<Outcome<Endpoint>>;
}

export interface EventTypeStore {
  createEventType(input: EventTypeInput): Promise<Outcome<EventType>>;
  getEventType(name: string): Promise<EventType | undefined>;
  listEventTypes(query: PageQuery & { includeArchived: boolean }): Promise<Page<EventType>>;
  updateEventType(name: string, input: EventTypeInput, expectedVersion?: number): Promise<Outcome<EventType>>;
  /** Archives by default; `expunge` removes the row. */
  deleteEventType(name: string, expunge: boolean, expectedVersion?: number): Promise<Outcome<void>>;
}

export interface MessageStore {
  /**
   * Stores the message and one pending delivery per endpoint the router picks, in one transaction (leased instead,
   * when `handoff` grants a lease for them).
   * Conflict when the application already has a message with the same eventId.
   * `onlyEndpointId` restricts routing to one endpoint (send-example).
   */
  createMessage(
    appId: string,
    input: MessageInput,
    router: MessageRouter,
    options?: { onlyEndpointId?: string; handoff?: DeliveryHandoff },
  ): Promise<Outcome<CreatedMessage>>;
  /** By id or eventId. */
  getMessage(appId: string, idOrEventId: string): Promise<Message | undefined>;
  listMessages(appId: string, query: PageQuery, filter: MessageFilter): Promise<Page<Message>>;
  expungeMessageContent(appId: string, msgId: string): Promise<Outcome<void>>;
  /** Messages that were routed to an endpoint, with that endpoint's delivery state. */
  listEndpointMessages(appId: string, endpointId: string, query: PageQuery, filter: MessageFilter): Promise<Page<EndpointMessage>>;
  /** Endpoints a message was routed to, with their delivery state. Paged by endpoint id. */
  listMessageDestinations(appId: string, msgId: string, query: PageQuery): Promise<Page<MessageDestination>>;
}

export interface AttemptStore {
  getAttempt(appId: string, msgId: string, attemptId: string): Promise<Attempt | undefined>;
  listAttemptsByEndpoint(appId: string, endpointId: string, query: PageQuery, filter: AttemptFilter): Promise<Page<Attempt>>;
  listAttemptsByMessage(appId: string, msgId: string, query: PageQuery, filter: AttemptFilter): Promise<Page<Attempt>>;
  expungeAttemptContent(appId: string, msgId: string, attemptId: string): Promise<Outcome<void>>;
  endpointStats(appId: string, endpointId: string, range: TimeRange): Promise<EndpointStats>;
}

/** Response durations of attempts, milliseconds, as nearest-rank percentiles; null when there were no attempts. */
export interface LatencyPercentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** Aggregates for the stats routes and the metrics scrape. Ranges are half-open, `[since, until)`, by creation time. */
export interface StatsStore {
  /** Deliveries created in the range across every application, by status (canceled ones counted on their own). */
  deliveryCounts(range: TimeRange): Promise<EndpointStats>;
  /** Durations of the attempts made in the range: of one endpoint, or of all when `endpoint` is omitted. */
  attemptLatency(range: TimeRange, endpoint?: { appId: string; endpointId: string }): Promise<LatencyPercentiles>;
  /** Live, enabled endpoints with at least `threshold` consecutive failures: their breaker is open or half-open. */
  countTrippedBreakers(threshold: number): Promise<number>;
  /** Messages created in the range, across every application and source (Hookyard's own operational ones left out). */
  messageCount(range: TimeRange): Promise<number>;
  /** Live endpoints of every owner that failed their latest attempts, the longest run of failures first. */
  listFailingEndpoints(limit: number): Promise<FailingEndpoint[]>;
}

export interface FailingEndpoint {
  /** The application, or the inbound source whose destination it is. */
  appId: string;
  endpointId: string;
  url: string;
  disabled: boolean;
  consecutiveFailures: number;
  failingSince: Date | null;
  lastFailureAt: Date | null;
}

export interface DeliveryControlStore {
  /** Queues the message to the endpoint again, now, as a manual trigger. */
  resendMessage(appId: string, msgId: string, endpointId: string): Promise<Outcome<Delivery>>;
  createBackgroundTask(task: Omit<BackgroundTask, 'id' | 'createdAt' | 'updatedAt' | 'status' | 'result'>): Promise<BackgroundTask>;
  getBackgroundTask(id: string): Promise<BackgroundTask | undefined>;
  /** Re-queues the endpoint's failed deliveries created in the range; returns how many. */
  recoverFailedDeliveries(appId: string, endpointId: string, range: { since: Date; until: Date | null }): Promise<number>;
  finishBackgroundTask(id: string, status: BackgroundTaskStatus, result: BackgroundTask['result']): Promise<void>;
}

export interface TokenStore {
  createApiToken(input: ApiTokenInput): Promise<ApiToken>;
  findApiTokenByHash(tokenHash: string): Promise<(ApiToken & { tokenHash: string }) | undefined>;
  getApiToken(id: string): Promise<ApiToken | undefined>;
  /** API keys, newest first by default; revoked ones included (they show `revokedAt`). */
  listApiTokens(query: PageQuery, filter: { kinds: PrincipalKind[] }): Promise<Page<ApiToken>>;
  revokeApiToken(id: string): Promise<void>;
  /**
   * A successor with the same name, scopes, confinement and limits, under a new hash; the old token stays valid
   * until `previousExpiresAt` (or its own earlier expiry). Not found for a revoked or expired token.
   */
  rotateApiToken(id: string, successor: { tokenHash: string; prefix: string | null }, previousExpiresAt: Date): Promise<Outcome<ApiToken>>;
  /** Records a use; callers bound how often. */
  touchApiToken(id: string, at: Date): Promise<void>;
  countApiTokens(kind: PrincipalKind): Promise<number>;
}

export interface IdempotencyStore {
  /** Takes the key for a request, or reports the stored response, or that another request holds it. */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyClaim>;
  completeIdempotencyKey(scope: string, response: { statusCode: number; body: string; headers: Record<string, string> }): Promise<void>;
  /** Gives the key up (the request failed in a way that should not be replayed). */
  releaseIdempotencyKey(scope: string): Promise<void>;
}

export interface SettingsStore {
  getSetting(name: string): Promise<string | undefined>;
  /** Sets the value only if absent; returns the value now stored. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Inbound: sources that receive providers' webhooks, and the events they receive.                             */
/* ------------------------------------------------------------------------------------------------------------ */

/** How a source recognises a request it has already received. */
export interface SourceDedup {
  /** How long an event id (or body hash) is remembered; 0 turns deduplication off. */
  windowSeconds: number;
  /** Where the event id is when the provider's scheme has none: a dotted path into a JSON body (`data.id`)… */
  jsonPath: string | null;
  /** …or a request header (lower-case name). Tried after the scheme's own id, before the body hash. */
  header: string | null;
}

/** What the provider is answered after its request is stored. */
export interface SourceResponse {
  status: number;
  contentType: string;
  body: string;
}

export interface Source {
  id: string;
  uid: string | null;
  name: string;
  /** Verification scheme (`stripe`, `github`, `hmac`, `generic-webhook`, …). */
  type: string;
  /** The scheme's settings, secrets included (decrypted); the API never echoes the secret fields. */
  config: Record<string, unknown>;
  /** The current token of the ingest URL (decrypted). */
  token: string;
  dedup: SourceDedup;
  /** JSON Schemas by event type: payloads of those types that do not match are quarantined. */
  schemas: Record<string, unknown> | null;
  /** Null: the default answer. */
  response: SourceResponse | null;
  metadata: Metadata;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export interface SourceInput {
  uid: string | null;
  name: string;
  type: string;
  config: Record<string, unknown>;
  dedup: SourceDedup;
  schemas: Record<string, unknown> | null;
  response: SourceResponse | null;
  metadata: Metadata;
}

export interface SourceStore {
  /** The token is stored encrypted, and hashed for lookup; the config is stored encrypted. */
  createSource(input: SourceInput & { token: string }): Promise<Outcome<Source>>;
  /** By id or uid. */
  getSource(idOrUid: string): Promise<Source | undefined>;
  listSources(query: PageQuery): Promise<Page<Source>>;
  updateSource(id: string, input: SourceInput, expectedVersion?: number): Promise<Outcome<Source>>;
  /** Deletes the source and its destinations (their queued deliveries are canceled when claimed). */
  deleteSource(id: string, expectedVersion?: number): Promise<Outcome<void>>;
  /**
   * New current token; the previous one keeps being accepted until `previousExpiresAt` (a time already past ends it
   * at once). Only the token just replaced has a grace period: one rotated out earlier stops being accepted.
   */
  rotateSourceToken(id: string, newToken: string, previousExpiresAt: Date): Promise<Outcome<Source>>;
  /** The live source whose current token, or previous token within its grace period, this is. */
  findSourceByToken(token: string): Promise<Source | undefined>;
}

export const InboundEventStates = ['received', 'processed', 'failed', 'duplicate', 'quarantined', 'rejected'] as const;
/**
 * `received`: stored, being forwarded. `processed`: every destination took it (or there were none). `failed`: a
 * destination's delivery ran out of attempts or was canceled (`stateReason` says how many of how many). `duplicate`:
 * seen before within the dedup window, not forwarded (its body is kept for inspection).
 * `quarantined`: failed its event type's JSON Schema, held until released. `rejected`: failed verification; only
 * its headers and the reason are kept.
 */
export type InboundEventState = (typeof InboundEventStates)[number];

/** The request as the provider sent it. Credentials of the source's own scheme (basic auth, API key) are redacted. */
export interface InboundRequestInfo {
  method: string;
  path: string;
  /** The query string without `?`, or empty. */
  query: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  contentType: string | null;
  bodySize: number;
  /** Hex SHA-256 of the body. */
  bodySha256: string;
}

export interface ValidationProblem {
  /** JSON pointer into the payload. */
  path: string;
  message: string;
}

export interface InboundEvent {
  id: string;
  sourceId: string;
  state: InboundEventState;
  /** Why the event is in its state, for the states that have a why (failed verification, duplicate of…, …). */
  stateReason: string | null;
  eventType: string | null;
  /** The provider's own event id, when its scheme or the source's dedup settings give one. */
  providerEventId: string | null;
  /** The event first received with the same dedup key, for duplicates. */
  duplicateOf: string | null;
  /** The message that forwards it to the destinations, once it is forwarded. */
  msgId: string | null;
  validationErrors: ValidationProblem[] | null;
  request: InboundRequestInfo;
  /** Null in lists, once pruned, and for rejected requests (whose bodies are never stored). */
  body: Buffer | null;
  /** Times it was replayed or released. */
  replays: number;
  receivedAt: Date;
  updatedAt: Date;
}

export interface ReceivedEventInput {
  sourceId: string;
  request: InboundRequestInfo;
  body: Buffer;
  eventType: string | null;
  providerEventId: string | null;
  /** `id:<provider id>` or `sha256:<body hash>`; null when the source does not deduplicate. */
  dedupKey: string | null;
  dedupWindowMs: number;
  /** Schema violations: the event is quarantined instead of forwarded. Null or empty: none. */
  validationErrors: ValidationProblem[] | null;
  /** When the body may be pruned. */
  bodyRetentionDays: number;
}

export type ReceiveOutcome = 'accepted' | 'duplicate' | 'quarantined';

export interface InboundEventFilter extends TimeRange {
  states?: InboundEventState[] | null;
  eventTypes?: string[] | null;
}

export interface RejectedRequestInput {
  sourceId: string;
  request: InboundRequestInfo;
  reason: string;
  /** When to record `source.verification_failing`; absent: never. */
  failingRule?: VerificationFailingRule;
}

/**
 * A source is failing verification once `threshold` requests are rejected within `windowMs` of the first rejection
 * of a window; the event is recorded once per window, and the next rejection after the window starts a new one.
 */
export interface VerificationFailingRule {
  threshold: number;
  windowMs: number;
}

export interface InboundEventStore {
  /**
   * Stores a verified request, in one transaction with everything that follows from it: its dedup record, and
   * unless it is a duplicate or quarantined, a message (app id = source id, event id = the inbound event's id) with
   * one pending delivery per destination the router picks. With no destination the event is `processed` at once.
   * Of concurrent receives with one dedup key, in this process or others sharing the database, exactly one is
   * accepted. The event settles (`processed` or `failed`) when the results of its deliveries are recorded with
   * `inboundEventId` set.
   */
  receiveInboundEvent(input: ReceivedEventInput, router: MessageRouter): Promise<{ event: InboundEvent; outcome: ReceiveOutcome }>;
  /** Records a request that failed verification: headers and reason, never the body. */
  recordRejectedRequest(input: RejectedRequestInput): Promise<InboundEvent>;
  /** With its body. */
  getInboundEvent(sourceId: string, eventId: string): Promise<InboundEvent | undefined>;
  /** Newest first by default; without bodies. */
  listInboundEvents(sourceId: string, query: PageQuery, filter: InboundEventFilter): Promise<Page<InboundEvent>>;
  /**
   * Forwards the event again: every current destination gets a delivery due now (manual trigger), existing ones
   * are reset; the event is `received` again. Conflict for duplicates, rejected and quarantined events, and for
   * events whose body was pruned.
   */
  replayInboundEvent(sourceId: string, eventId: string, router: MessageRouter): Promise<Outcome<InboundEvent>>;
  /** Forwards a quarantined event (the caller has re-validated it or chosen to force it). Conflict otherwise. */
  releaseInboundEvent(sourceId: string, eventId: string, router: MessageRouter): Promise<Outcome<InboundEvent>>;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* OAuth 2.0 authorization server: clients, refresh tokens (rotated in families), revocations.                 */
/* ------------------------------------------------------------------------------------------------------------ */

export interface OAuthClient {
  id: string;
  name: string;
  /** The most a token issued to this client may carry. */
  scopes: string[];
  /** Set when the client is confined to one application. */
  appId: string | null;
  createdAt: Date;
  updatedAt: Date;
  revokedAt: Date | null;
  /** While set and in the future, the previous secret still authenticates the client (rotation overlap). */
  previousSecretExpiresAt: Date | null;
}

/** Who a refresh token (and the access tokens minted with it) acts for. */
export type OAuthSubjectKind = 'oauth_client' | 'api_key' | 'app_portal' | 'admin';

export interface RefreshToken {
  id: string;
  /** Every token minted by rotating one sign-in shares the family of the first. */
  familyId: string;
  subjectId: string;
  subjectKind: OAuthSubjectKind;
  scopes: string[];
  appId: string | null;
  createdAt: Date;
  expiresAt: Date;
  /** When it was exchanged for its successor; presenting it again is reuse. */
  usedAt: Date | null;
  revokedAt: Date | null;
}

export type RefreshTokenInput = Pick<RefreshToken, 'familyId' | 'subjectId' | 'subjectKind' | 'scopes' | 'appId' | 'expiresAt'> & { tokenHash: string };

/**
 * `rotated`: the presented token is now used and `successor` replaces it. `reused`: it had been used already, so it
 * was stolen or replayed: the whole family is revoked (RFC 9700 reuse detection). `invalid`: unknown, expired or
 * revoked.
 */
export type RefreshRotation =
  | { state: 'rotated'; previous: RefreshToken; successor: RefreshToken }
  | { state: 'reused'; familyId: string }
  | { state: 'invalid' };

export interface OAuthStore {
  createOAuthClient(input: { name: string; scopes: string[]; appId: string | null; secretHash: string }): Promise<OAuthClient>;
  /** With the hashes that authenticate it now: the current secret's, and the previous one's during its overlap. */
  getOAuthClient(id: string): Promise<(OAuthClient & { secretHashes: string[] }) | undefined>;
  listOAuthClients(query: PageQuery): Promise<Page<OAuthClient>>;
  /** Revokes the client and every refresh token issued to it. */
  revokeOAuthClient(id: string): Promise<Outcome<void>>;
  rotateOAuthClientSecret(id: string, secretHash: string, previousExpiresAt: Date): Promise<Outcome<OAuthClient>>;
  createRefreshToken(input: RefreshTokenInput): Promise<RefreshToken>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Exchanges a refresh token for its successor, atomically; see RefreshRotation. */
  rotateRefreshToken(presentedHash: string, successor: { tokenHash: string; expiresAt: Date; scopes: string[] }, revokeFamilyUntil: Date): Promise<RefreshRotation>;
  /** Revokes every refresh token of the family, and the family's access tokens until `until`. */
  revokeRefreshFamily(familyId: string, until: Date): Promise<void>;
  /** Remembers access-token ids (jti) or families as revoked until `until`, when they would have expired anyway. */
  revokeOAuthIds(ids: string[], until: Date): Promise<void>;
  /** Which of `ids` are revoked now. */
  revokedOAuthIds(ids: string[]): Promise<string[]>;
}


/** Main-key rotation: what `hookyard rotate-main-key` asks of the store. */
export interface KeyRotationStore {
  /**
   * Reseals every stored secret (endpoint signing secrets, source configs and tokens, stored idempotent responses)
   * that another key than the current one sealed, in small batches; resolves how many of each it resealed.
   */
  resealSecrets(): Promise<{ endpointSecrets: number; sources: number; idempotentResponses: number }>;
}

/**
 * The store could not be reached (connection refused or lost, server restarting). Nothing was committed that the
 * caller was told about; the API answers 503 so that clients retry, and workers try again on their next round.
 */
export class StoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`store unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

export interface StoreHealth {
  ok: boolean;
  detail?: string;
}

export interface Store
  extends ApplicationStore,
    EndpointStore,
    EventTypeStore,
    MessageStore,
    AttemptStore,
    DeliveryControlStore,
    TokenStore,
    IdempotencyStore,
    SettingsStore,
    DeliveryQueueStore,
    SourceStore,
    InboundEventStore,
    StatsStore,
    AuditStore,
    OAuthStore,
    KeyRotationStore,
    OperationalWebhookStore,
    RetentionStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  health(): Promise<StoreHealth>;
  /** Cross-process wake-ups through the store (PostgreSQL LISTEN/NOTIFY); null on the embedded store. */
  createWorkSignal(logger: Logger): WorkSignal | null;
  close(): Promise<void>;
}

/** Circuit-breaker and auto-disable bookkeeping for one endpoint, written by the delivery engine. Extension. */
export interface EndpointHealth {
  endpointId: string;
  /** Failed attempts since the last successful one. */
  consecutiveFailures: number;
  /** The first failure of the current unbroken run of failures; null after a success. */
  failingSince: Date | null;
  lastFailureAt: Date | null;
  lastSuccessAt: Date | null;
}

/** Who holds a claimed delivery; a result is recorded only while this is still the delivery's lease. */
export interface DeliveryLease {
  owner: string;
  until: Date;
}

/** What a message that forwards an inbound event sends instead of a JSON payload: the original body and headers. */
export interface ForwardedRequest {
  eventId: string;
  /** Null once pruned: the delivery is then canceled, like a message whose payload is gone. */
  body: Buffer | null;
  contentType: string | null;
  /** Every header the provider sent (credentials redacted); the engine picks which ones to pass on. */
  headers: Record<string, string>;
}

/** Everything a worker needs to send one claimed delivery, read right after the claim. */
export interface ClaimedDelivery {
  delivery: Delivery;
  lease: DeliveryLease;
  /** Null when the message row is gone. */
  message: (Pick<Message, 'id' | 'eventType' | 'channels' | 'payload' | 'createdAt'> & { inbound: ForwardedRequest | null }) | null;
  /** Null once the endpoint is deleted; secrets are decrypted and only those still valid for signing. */
  endpoint: Endpoint | null;
  /** The application's throttle, for endpoints without their own. */
  appThrottleRate: number | null;
  health: EndpointHealth;
}

export interface ClaimRequest {
  owner: string;
  limit: number;
  /** How long the claim holds; unrecorded deliveries come due again after it. */
  leaseMs: number;
}

export interface Claim {
  deliveries: ClaimedDelivery[];
  /** The earliest time anything queued (including leases that may expire) comes due, after the claim. */
  nextDueAt: Date | null;
}

/**
 * What becomes of a claimed delivery. `failed` ends it after an attempt (exhausted, or the endpoint answered 410);
 * `canceled` ends it without one because the endpoint is gone, disabled or no longer subscribed: it reads as `fail`
 * on the wire and counts as `canceled` in endpoint stats (see CANCELED_DELIVERY_COLUMN). `deferred` puts it back
 * unattempted (breaker open, throttled).
 */
export type DeliveryDisposition =
  | { kind: 'success' }
  | { kind: 'retry'; at: Date }
  | { kind: 'failed' }
  | { kind: 'canceled' }
  | { kind: 'deferred'; at: Date };

export interface DeliveryResult {
  deliveryId: string;
  lease: DeliveryLease;
  /** The attempt made, if a request was tried (also when refused at send time); it counts towards endpoint health. */
  attempt: Attempt | null;
  disposition: DeliveryDisposition;
  /** Set when the delivery forwards an inbound event: a final disposition may settle the event's state. */
  inboundEventId?: string | null;
}

export interface RecordedResults {
  /**
   * Per result, in order: false when the lease had been lost, so the delivery was left to its new holder (the
   * attempt, which really happened, is still recorded).
   */
  recorded: boolean[];
  /** Health, after the batch, of every endpoint the batch's attempts touched. */
  health: EndpointHealth[];
}

/**
 * Deliveries canceled by the engine keep the wire status `fail`; this column (milliseconds, null otherwise) tells
 * them apart, so endpoint stats count `status = fail and canceled_at is not null` as `canceled`.
 */
export const CANCELED_DELIVERY_COLUMN = 'canceled_at';

export const OperationalEventTypes = [
  'endpoint.created',
  'endpoint.updated',
  'endpoint.deleted',
  'endpoint.disabled',
  'endpoint.enabled',
  'message.attempt.failing',
  'message.attempt.exhausted',
  'message.attempt.recovered',
  'ingest.endpoint.disabled',
  'ingest.message.attempt.failing',
  'ingest.message.attempt.exhausted',
  'ingest.message.attempt.recovered',
  'source.verification_failing',
] as const;
/** Svix's operational webhook types; `ingest.*` concern a source's destinations; `source.verification_failing` is ours. */
export type OperationalEventType = (typeof OperationalEventTypes)[number];

export interface OperationalEvent {
  /** Increasing in commit order on SQLite; on PostgreSQL a later seq may commit first (see forwardOperationalEvents). */
  seq: number;
  type: OperationalEventType;
  /** The application, or the source for `ingest.*` and `source.*` types. */
  appId: string;
  /** The `data` of Svix's operational webhook for the type (`EndpointDisabledEvent.data`, …). */
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** Svix sends `message.attempt.failing` on a delivery's fourth failed attempt. */
export const FAILING_AFTER_ATTEMPTS = 4;

/**
 * The owner (the `appId` of its endpoint, messages and deliveries) of what carries operational webhooks to the
 * operator. No application or source has this id, so the API never shows them; nothing it owns causes operational
 * events itself, which would otherwise report on its own reports without end.
 */
export const OPERATIONAL_OWNER_ID = 'hookyard_operational';

export interface OperationalWebhookTarget {
  url: string;
  /** `whsec_…`. */
  secret: string;
}

export interface OperationalWebhookStore {
  /**
   * Points the operator endpoint at `target`: created, or updated when its URL or secret differ (enabled again if it
   * was disabled); null deletes it, so deliveries still queued for it are canceled.
   */
  configureOperationalWebhook(target: OperationalWebhookTarget | null): Promise<void>;
  /**
   * Turns up to `limit` operational events not yet forwarded into messages (event id `op_<seq>`, payload
   * `{type, timestamp, data}`) with one delivery each to the operator endpoint, marking them forwarded in the same
   * transaction; concurrent callers never forward one event twice. Returns how many; 0 without an operator endpoint,
   * in which case events wait.
   */
  forwardOperationalEvents(limit: number, payloadRetentionDays: number): Promise<number>;
}

/**
 * What pruning removes. Content (nulled, metadata kept): `message_payloads` (payload expiry passed),
 * `attempt_responses` (attempts made before the cut-off), `inbound_bodies` (body expiry passed). Rows deleted:
 * `inbound_dedup` and `idempotency_keys` (expired), `operational_events` (recorded before the cut-off),
 * `messages` (created before the cut-off, with their deliveries and attempts, once nothing is owed to any endpoint),
 * `inbound_events` (received before the cut-off).
 */
export const PruneTargets = [
  'message_payloads',
  'attempt_responses',
  'inbound_bodies',
  'inbound_dedup',
  'idempotency_keys',
  'operational_events',
  'messages',
  'inbound_events',
] as const;
export type PruneTarget = (typeof PruneTargets)[number];

export interface RetentionStore {
  /**
   * Prunes up to `limit` rows of one target whose expiry (or creation, for targets pruned by age) is at or before
   * `cutoff`, in one short transaction; returns how many. Several processes may prune at once.
   */
  pruneExpired(target: PruneTarget, cutoff: Date, limit: number): Promise<number>;
}

export interface DueWork {
  /** Deliveries whose next attempt time has passed, leased ones with an expired lease included. */
  due: number;
  oldestDueAt: Date | null;
}

export interface DeliveryQueueStore {
  /**
   * Leases up to `limit` due deliveries to `owner` (status sending), oldest first. Concurrent claimers, in this
   * process or others sharing the database, never receive the same delivery while its lease holds.
   */
  claimDueDeliveries(request: ClaimRequest): Promise<Claim>;
  /** Records a batch of results in one transaction; a delivery changes only while the result's lease holds. */
  recordDeliveryResults(results: DeliveryResult[]): Promise<RecordedResults>;
  /** Puts everything leased to `owner` back in the queue, due now (graceful shutdown); returns how many. */
  releaseDeliveryLeases(owner: string): Promise<number>;
  /**
   * Disables a live, enabled endpoint and records an `endpoint.disabled` operational event; false when it was
   * already disabled or is gone.
   */
  disableEndpoint(appId: string, endpointId: string, reason: { failingSince: Date | null }): Promise<boolean>;
  /** Zeroes for an endpoint that has never been attempted. */
  getEndpointHealth(appId: string, endpointId: string): Promise<EndpointHealth>;
  listOperationalEvents(query: { afterSeq?: number; limit: number }): Promise<OperationalEvent[]>;
  dueDeliveryStats(): Promise<DueWork>;
}
