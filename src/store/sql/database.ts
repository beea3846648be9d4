import type { Generated } from 'kysely';

/**
 * Table shapes as both adapters store them. Times are integer milliseconds since the epoch, booleans are 0/1 and
 * lists/maps are JSON text, so one set of queries serves SQLite and PostgreSQL alike.
 */
export interface Database {
  applications: ApplicationRow;
  endpoints: EndpointRow;
  event_types: EventTypeRow;
  messages: MessageRow;
  deliveries: DeliveryRow;
  attempts: AttemptRow;
  background_tasks: BackgroundTaskRow;
  api_tokens: ApiTokenRow;
  audit_log: AuditLogRow;
  oauth_clients: OAuthClientRow;
  oauth_refresh_tokens: OAuthRefreshTokenRow;
  oauth_revocations: OAuthRevocationRow;
  idempotency_keys: IdempotencyKeyRow;
  settings: SettingRow;
  endpoint_health: EndpointHealthRow;
  operational_events: OperationalEventRow;
  sources: SourceRow;
  inbound_events: InboundEventRow;
  inbound_dedup: InboundDedupRow;
  verification_failures: VerificationFailureRow;
}

export interface ApplicationRow {
  id: string;
  uid: string | null;
  name: string;
  throttle_rate: number | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  version: number;
  deleted_at: number | null;
  /** Days new messages keep their payload unless they say otherwise; added by 0005_operability. */
  payload_retention_days?: number | null;
}

export interface EndpointRow {
  id: string;
  app_id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: number;
  event_types: string | null;
  channels: string | null;
  throttle_rate: number | null;
  metadata: string;
  headers: string;
  /** JSON array of {key (sealed), expiresAt}; current secret first. */
  secrets: string;
  retry_schedule: string | null;
  created_at: number;
  updated_at: number;
  version: number;
  deleted_at: number | null;
}

export interface EventTypeRow {
  name: string;
  description: string;
  archived: number;
  deprecated: number;
  feature_flag: string | null;
  schemas: string | null;
  created_at: number;
  updated_at: number;
  version: number;
}

export interface MessageRow {
  id: string;
  app_id: string;
  event_type: string;
  event_id: string | null;
  channels: string | null;
  tags: string | null;
  payload: string | null;
  created_at: number;
  payload_expires_at: number;
  /** The inbound event the message forwards, null for messages posted through the API; added by 0003_inbound. */
  source_event_id?: string | null;
}

export interface DeliveryRow {
  id: string;
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  status: number;
  attempt_count: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  trigger_type: number;
  created_at: number;
  updated_at: number;
  /** Set when the engine canceled the delivery (status stays fail); added by 0002_delivery. */
  canceled_at?: number | null;
  /** Set once its failing or exhausted operational event was recorded; added by 0005_operability. */
  failure_reported_at?: number | null;
}

export interface AttemptRow {
  id: string;
  app_id: string;
  msg_id: string;
  endpoint_id: string;
  delivery_id: string;
  url: string;
  status: number;
  response_status_code: number;
  response: string | null;
  response_duration_ms: number;
  trigger_type: number;
  created_at: number;
  /** JSON object; null for attempts made before headers were kept, and once pruned. */
  request_headers: string | null;
}

export interface BackgroundTaskRow {
  id: string;
  kind: string;
  status: string;
  app_id: string;
  /** Empty for tasks that concern no endpoint (source.replay): the column predates them and is NOT NULL. */
  endpoint_id: string;
  params: string;
  result: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiTokenRow {
  id: string;
  kind: string;
  app_id: string | null;
  name: string;
  scopes: string;
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  prefix: string | null;
  rate_limit: number | null;
}

export interface AuditLogRow {
  id: string;
  at: number;
  actor_id: string | null;
  actor_kind: string | null;
  action: string;
  method: string;
  path: string;
  status_code: number;
  outcome: string;
  app_id: string | null;
  ip: string;
  request_id: string;
}

export interface OAuthClientRow {
  id: string;
  name: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_secret_expires_at: number | null;
  scopes: string;
  app_id: string | null;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
}

export interface OAuthRefreshTokenRow {
  id: string;
  family_id: string;
  token_hash: string;
  subject_id: string;
  subject_kind: string;
  scopes: string;
  app_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export interface OAuthRevocationRow {
  id: string;
  expires_at: number;
}

export interface IdempotencyKeyRow {
  scope: string;
  fingerprint: string;
  state: string;
  status_code: number | null;
  body: string | null;
  headers: string | null;
  locked_until: number;
  expires_at: number;
  created_at: number;
}

export interface SettingRow {
  name: string;
  value: string;
}

export interface EndpointHealthRow {
  endpoint_id: string;
  app_id: string;
  consecutive_failures: number;
  failing_since: number | null;
  last_failure_at: number | null;
  last_success_at: number | null;
  updated_at: number;
}

export interface OperationalEventRow {
  seq: Generated<number>;
  type: string;
  app_id: string;
  payload: string;
  created_at: number;
  /** When the event became a message to the operator endpoint; added by 0005_operability. */
  forwarded_at?: number | null;
}

export interface SourceRow {
  id: string;
  uid: string | null;
  name: string;
  type: string;
  /** The config as JSON, sealed by the secret box. */
  config_sealed: string;
  token_sealed: string;
  token_hash: string;
  previous_token_hash: string | null;
  previous_token_expires_at: number | null;
  dedup: string;
  schemas: string | null;
  response: string | null;
  metadata: string;
  created_at: number;
  updated_at: number;
  version: number;
  deleted_at: number | null;
}

export interface InboundEventRow {
  id: string;
  source_id: string;
  state: string;
  state_reason: string | null;
  event_type: string | null;
  provider_event_id: string | null;
  dedup_key: string | null;
  duplicate_of: string | null;
  msg_id: string | null;
  validation_errors: string | null;
  method: string;
  path: string;
  query: string;
  headers: string;
  content_type: string | null;
  body_size: number;
  body_sha256: string;
  body: Buffer | null;
  body_expires_at: number | null;
  replays: number;
  received_at: number;
  updated_at: number;
}

export interface InboundDedupRow {
  source_id: string;
  dedup_key: string;
  /** The event first received with this key while the row is unexpired. */
  event_id: string;
  expires_at: number;
}

export interface VerificationFailureRow {
  source_id: string;
  /** The first rejection of the current window. */
  window_started_at: number;
  failures: number;
  /** 1 once `source.verification_failing` was recorded for this window. */
  reported: number;
}
