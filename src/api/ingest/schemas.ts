import { Type, type Static } from 'typebox';
import { secretFields, verifierTypes } from '../../inbound/verification/index.js';
import { InboundEventStates, type InboundEvent, type Source } from '../../store/port.js';
import { DateTime, EventTypeName, Metadata, Nullable, NullableUid, iso } from '../shared-schemas.js';

const SourceType = Type.Union(
  verifierTypes.map((type) => Type.Literal(type)),
  { description: 'The verification scheme: a provider, a generic scheme (`hmac`, `basic-auth`, `api-key`) or none (`generic-webhook`).' },
);

const SourceConfig = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: 32,
  description: "The scheme's settings, e.g. `{\"secret\": \"whsec_…\"}`; see docs/inbound for each type. Secret fields are write-only.",
});

const DedupIn = Type.Object(
  {
    windowSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 90 * 86400, default: 7 * 86400, description: '0 turns deduplication off' })),
    jsonPath: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$', description: 'Dotted path to the event id in a JSON body, for schemes without one' }))),
    header: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256, pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", description: 'Header holding the event id, for schemes without one' }))),
  },
  { additionalProperties: false, title: 'SourceDedupIn' },
);

const ResponseIn = Type.Object(
  {
    status: Type.Integer({ minimum: 200, maximum: 299 }),
    contentType: Type.Optional(Type.String({ minLength: 1, maxLength: 256, default: 'application/json' })),
    body: Type.String({ maxLength: 16384 }),
  },
  { additionalProperties: false, title: 'SourceResponseIn', description: 'What providers are answered once a request is stored' },
);

const Schemas = Type.Record(EventTypeName, Type.Record(Type.String(), Type.Unknown()), {
  maxProperties: 200,
  description: 'JSON Schemas by event type; a payload of such a type that does not match is quarantined',
});

/** Svix's IngestSourceIn, with Hookyard's extensions (dedup, schemas, response). */
export const SourceIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 1024 }),
    uid: Type.Optional(NullableUid),
    type: SourceType,
    config: Type.Optional(SourceConfig),
    metadata: Type.Optional(Metadata),
    dedup: Type.Optional(DedupIn),
    schemas: Type.Optional(Nullable(Schemas)),
    response: Type.Optional(Nullable(ResponseIn)),
  },
  { additionalProperties: false, title: 'IngestSourceIn' },
);
export type SourceIn = Static<typeof SourceIn>;

export const SourceOut = Type.Object(
  {
    id: Type.String({ example: 'src_2yZwUhtgs5Ai8T9yRQJXA' }),
    uid: Nullable(Type.String()),
    name: Type.String(),
    type: Type.String(),
    config: Type.Record(Type.String(), Type.Unknown(), { description: 'The settings without their secret fields' }),
    ingestUrl: Type.String({ description: 'Where the provider posts its webhooks' }),
    metadata: Metadata,
    dedup: Type.Object({ windowSeconds: Type.Integer(), jsonPath: Nullable(Type.String()), header: Nullable(Type.String()) }),
    schemas: Nullable(Type.Record(Type.String(), Type.Unknown())),
    response: Nullable(Type.Object({ status: Type.Integer(), contentType: Type.String(), body: Type.String() })),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'IngestSourceOut' },
);
export type SourceOut = Static<typeof SourceOut>;

export const RotateTokenIn = Type.Object(
  { gracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old ingest URL keeps working' })) },
  { additionalProperties: false, title: 'RotateTokenIn' },
);
export const RotateTokenOut = Type.Object({ ingestUrl: Type.String() }, { title: 'RotateTokenOut' });

export function toSourceOut(source: Source, ingestUrl: string): SourceOut {
  const hidden = new Set(secretFields(source.type));
  return {
    id: source.id,
    uid: source.uid,
    name: source.name,
    type: source.type,
    config: Object.fromEntries(Object.entries(source.config).filter(([name]) => !hidden.has(name))),
    ingestUrl,
    metadata: source.metadata,
    dedup: source.dedup,
    schemas: source.schemas,
    response: source.response,
    createdAt: iso(source.createdAt),
    updatedAt: iso(source.updatedAt),
  };
}

export const InboundEventState = Type.Union(
  [
    Type.Literal('received'),
    Type.Literal('processed'),
    Type.Literal('failed'),
    Type.Literal('duplicate'),
    Type.Literal('quarantined'),
    Type.Literal('rejected'),
  ],
  { description: 'received → processed | failed; or duplicate, quarantined, rejected' },
);
// The schema lists the store's states by hand (TypeBox needs literal tuples); this fails to compile if they drift.
const _statesMatch: readonly Static<typeof InboundEventState>[] = InboundEventStates;

const BodyOut = Type.Object(
  {
    encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')], { description: 'base64 when the bytes are not UTF-8 text' }),
    data: Type.String(),
  },
  { title: 'InboundBodyOut' },
);

const DestinationOut = Type.Object(
  {
    endpointId: Type.String(),
    status: Type.Integer({ description: 'Success = 0, Pending = 1, Fail = 2, Sending = 3' }),
    nextAttempt: Nullable(DateTime),
  },
  { title: 'InboundDestinationOut' },
);

/** Extension: a request received by a source, and what became of it. */
export const InboundEventOut = Type.Object(
  {
    id: Type.String({ example: 'evt_2yZwUhtgs5Ai8T9yRQJXA' }),
    sourceId: Type.String(),
    state: InboundEventState,
    stateReason: Nullable(Type.String()),
    eventType: Nullable(Type.String()),
    providerEventId: Nullable(Type.String()),
    duplicateOf: Nullable(Type.String()),
    msgId: Nullable(Type.String({ description: 'The message forwarding it; its attempts are under …/event/{id}/attempt' })),
    validationErrors: Nullable(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    request: Type.Object({
      method: Type.String(),
      path: Type.String(),
      query: Type.String(),
      headers: Type.Record(Type.String(), Type.String()),
      contentType: Nullable(Type.String()),
      bodySize: Type.Integer(),
      bodySha256: Type.String(),
    }),
    body: Type.Optional(Nullable(BodyOut)),
    destinations: Type.Optional(Type.Array(DestinationOut)),
    replays: Type.Integer(),
    receivedAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'InboundEventOut' },
);
export type InboundEventOut = Static<typeof InboundEventOut>;

function bodyOut(body: Buffer): Static<typeof BodyOut> {
  const text = body.toString('utf8');
  // Round-tripping tells whether the bytes were valid UTF-8; the replacement character would otherwise hide it.
  return Buffer.from(text, 'utf8').equals(body) ? { encoding: 'utf8', data: text } : { encoding: 'base64', data: body.toString('base64') };
}

export function toInboundEventOut(event: InboundEvent, withBody: boolean): InboundEventOut {
  return {
    id: event.id,
    sourceId: event.sourceId,
    state: event.state,
    stateReason: event.stateReason,
    eventType: event.eventType,
    providerEventId: event.providerEventId,
    duplicateOf: event.duplicateOf,
    msgId: event.msgId,
    validationErrors: event.validationErrors,
    request: event.request,
    ...(withBody ? { body: event.body && bodyOut(event.body) } : {}),
    replays: event.replays,
    receivedAt: iso(event.receivedAt),
    updatedAt: iso(event.updatedAt),
  };
}

export const ReleaseIn = Type.Object(
  { force: Type.Optional(Type.Boolean({ default: false, description: 'Forward even if the payload still fails its schema' })) },
  { additionalProperties: false, title: 'InboundReleaseIn' },
);

export const ReplayFilterIn = Type.Object(
  {
    states: Type.Optional(Type.Array(Type.Union([Type.Literal('received'), Type.Literal('processed'), Type.Literal('failed')]), { minItems: 1, uniqueItems: true })),
    eventTypes: Type.Optional(Type.Array(EventTypeName, { minItems: 1, maxItems: 50, uniqueItems: true })),
    since: Type.Optional(Nullable(DateTime)),
    until: Type.Optional(Nullable(DateTime)),
  },
  { additionalProperties: false, title: 'InboundReplayIn', description: 'Which events to replay; all forwardable events when empty' },
);

export const BackgroundTaskOut = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('running'), Type.Literal('finished'), Type.Literal('failed')]),
    task: Type.Union([Type.Literal('endpoint.recover'), Type.Literal('source.replay')]),
    data: Nullable(Type.Object({ requeued: Type.Integer() })),
    updatedAt: DateTime,
  },
  { title: 'BackgroundTaskOut' },
);
