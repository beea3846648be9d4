import { Type, type Static } from 'typebox';
import type { CircuitView } from '../../delivery/circuit-breaker.js';
import type { Endpoint, EndpointHealth } from '../../store/port.js';
import { Channel, DateTime, EventTypeName, Metadata, Nullable, NullableUid, iso } from '../shared-schemas.js';
import { AttemptLatencyOut, DeliveryCounts } from '../stats/schemas.js';

const Url = Type.String({ format: 'uri', minLength: 1, maxLength: 65536, example: 'https://example.com/webhook/' });
const Description = Type.String({ maxLength: 4096 });
const EventTypes = Type.Array(EventTypeName, { minItems: 1, maxItems: 500, uniqueItems: true });
const Channels = Type.Array(Channel, { minItems: 1, maxItems: 10, uniqueItems: true });
const ThrottleRate = Type.Integer({ minimum: 1, maximum: 65535 });
export const SecretPattern = '^(whsec_)?[a-zA-Z0-9+/=]{32,100}$';
const Secret = Type.String({ pattern: SecretPattern, example: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD' });
export const HeaderMap = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 4096 }), { maxProperties: 50 });
/** Extension: per-endpoint retry delays in seconds. */
const RetrySchedule = Type.Array(Type.Number({ minimum: 0, maximum: 604800 }), { minItems: 0, maxItems: 50 });

/** Fields shared by create, replace and patch; newer Svix SDK names (`filterTypes`, `rateLimit`) are accepted too. */
const common = {
  uid: Type.Optional(NullableUid),
  description: Type.Optional(Description),
  disabled: Type.Optional(Type.Boolean()),
  eventTypes: Type.Optional(Nullable(EventTypes)),
  filterTypes: Type.Optional(Nullable(EventTypes)),
  channels: Type.Optional(Nullable(Channels)),
  throttleRate: Type.Optional(Nullable(ThrottleRate)),
  rateLimit: Type.Optional(Nullable(ThrottleRate)),
  metadata: Type.Optional(Metadata),
  retrySchedule: Type.Optional(Nullable(RetrySchedule)),
  /** Deprecated in Svix and ignored. */
  version: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
};

export const EndpointIn = Type.Object(
  { ...common, url: Url, secret: Type.Optional(Nullable(Secret)), headers: Type.Optional(Nullable(HeaderMap)) },
  { additionalProperties: false, title: 'EndpointIn' },
);
export type EndpointIn = Static<typeof EndpointIn>;

export const EndpointUpdate = Type.Object({ ...common, url: Url }, { additionalProperties: false, title: 'EndpointUpdate' });
export type EndpointUpdate = Static<typeof EndpointUpdate>;

export const EndpointPatch = Type.Object(
  { ...common, url: Type.Optional(Url), secret: Type.Optional(Nullable(Secret)) },
  { additionalProperties: false, title: 'EndpointPatch' },
);
export type EndpointPatch = Static<typeof EndpointPatch>;

const endpointOutFields = {
  id: Type.String({ example: 'ep_1srOrx2ZWZBpBUvZwXKQmoEYga2' }),
  uid: Nullable(Type.String()),
  url: Type.String(),
  description: Type.String(),
  disabled: Type.Boolean(),
  eventTypes: Nullable(Type.Array(Type.String())),
  filterTypes: Nullable(Type.Array(Type.String())),
  channels: Nullable(Type.Array(Type.String())),
  throttleRate: Nullable(Type.Integer()),
  rateLimit: Nullable(Type.Integer()),
  metadata: Metadata,
  retrySchedule: Nullable(Type.Array(Type.Number())),
  version: Type.Integer({ description: 'Always 1; kept for Svix clients.' }),
  createdAt: DateTime,
  updatedAt: DateTime,
};

export const EndpointOut = Type.Object(endpointOutFields, { title: 'EndpointOut' });
export type EndpointOut = Static<typeof EndpointOut>;
export const endpointOutProperties = endpointOutFields;

export function toEndpointOut(endpoint: Endpoint): EndpointOut {
  return {
    id: endpoint.id,
    uid: endpoint.uid,
    url: endpoint.url,
    description: endpoint.description,
    disabled: endpoint.disabled,
    eventTypes: endpoint.eventTypes,
    filterTypes: endpoint.eventTypes,
    channels: endpoint.channels,
    throttleRate: endpoint.throttleRate,
    rateLimit: endpoint.throttleRate,
    metadata: endpoint.metadata,
    retrySchedule: endpoint.retrySchedule,
    version: 1,
    createdAt: iso(endpoint.createdAt),
    updatedAt: iso(endpoint.updatedAt),
  };
}

export const EndpointHealthOut = Type.Object(
  {
    circuitState: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half_open')]),
    halfOpensAt: Nullable(DateTime),
    consecutiveFailures: Type.Integer(),
    failingSince: Nullable(DateTime),
    lastFailureAt: Nullable(DateTime),
    lastSuccessAt: Nullable(DateTime),
  },
  { title: 'EndpointHealthOut' },
);

export function toEndpointHealthOut(health: EndpointHealth, circuit: CircuitView): Static<typeof EndpointHealthOut> {
  const at = (date: Date | null) => (date ? iso(date) : null);
  return {
    circuitState: circuit.state,
    halfOpensAt: at(circuit.halfOpensAt),
    consecutiveFailures: health.consecutiveFailures,
    failingSince: at(health.failingSince),
    lastFailureAt: at(health.lastFailureAt),
    lastSuccessAt: at(health.lastSuccessAt),
  };
}

export const EndpointHeadersIn = Type.Object({ headers: HeaderMap }, { additionalProperties: false, title: 'EndpointHeadersIn' });
export const EndpointHeadersPatchIn = Type.Object(
  { headers: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Nullable(Type.String({ maxLength: 4096 })), { maxProperties: 50 }) },
  { additionalProperties: false, title: 'EndpointHeadersPatchIn' },
);
export const EndpointHeadersOut = Type.Object(
  { headers: Type.Record(Type.String(), Type.String()), sensitive: Type.Array(Type.String()) },
  { title: 'EndpointHeadersOut' },
);

export const EndpointSecretOut = Type.Object({ key: Type.String() }, { title: 'EndpointSecretOut' });
export const EndpointSecretRotateIn = Type.Object(
  {
    key: Type.Optional(Nullable(Secret)),
    gracePeriodSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 604800, default: 86400 }))),
  },
  { additionalProperties: false, title: 'EndpointSecretRotateIn' },
);

export const RecoverIn = Type.Object({ since: DateTime, until: Type.Optional(Nullable(DateTime)) }, { additionalProperties: false, title: 'RecoverIn' });
export const RecoverOut = Type.Object(
  { id: Type.String(), status: Type.Literal('running'), task: Type.Literal('endpoint.recover'), updatedAt: DateTime },
  { title: 'RecoverOut' },
);

export const EventExampleIn = Type.Object({ eventType: EventTypeName }, { additionalProperties: false, title: 'EventExampleIn' });

export const EndpointStats = Type.Object(
  {
    ...DeliveryCounts,
    health: Type.Optional(EndpointHealthOut),
    attemptLatency: Type.Optional(AttemptLatencyOut),
  },
  { title: 'EndpointStats' },
);
