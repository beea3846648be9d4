import { Type, type Static } from 'typebox';
import type { Message } from '../../store/port.js';
import { Channel, DateTime, EventTypeName, Nullable, NullableUid, Uid, iso } from '../shared-schemas.js';
import { ApplicationIn } from '../application/schemas.js';

const Channels = Type.Array(Channel, { minItems: 1, maxItems: 5, uniqueItems: true });
const Tags = Type.Array(Uid, { minItems: 1, maxItems: 5, uniqueItems: true });
/** Payloads are free-form objects; the serializer must keep every property. */
export const Payload = Type.Object({}, { additionalProperties: true, example: { email: 'test@example.com' } });

export const MessageIn = Type.Object(
  {
    eventType: EventTypeName,
    payload: Payload,
    eventId: Type.Optional(NullableUid),
    channels: Type.Optional(Nullable(Channels)),
    tags: Type.Optional(Nullable(Tags)),
    // No schema default: an absent period falls back to the application's, then to the server's (90 days unless configured).
    payloadRetentionPeriod: Type.Optional(Nullable(Type.Integer({ minimum: 5, maximum: 90, description: 'Days' }))),
    payloadRetentionHours: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2160 }))),
    deliverAt: Type.Optional(Nullable(DateTime)),
    application: Type.Optional(Nullable(ApplicationIn)),
  },
  { additionalProperties: false, title: 'MessageIn' },
);
export type MessageIn = Static<typeof MessageIn>;

export const MessageOut = Type.Object(
  {
    id: Type.String({ example: 'msg_1srOrx2ZWZBpBUvZwXKQmoEYga2' }),
    eventType: Type.String(),
    eventId: Nullable(Type.String()),
    payload: Payload,
    channels: Nullable(Type.Array(Type.String())),
    tags: Nullable(Type.Array(Type.String())),
    timestamp: DateTime,
  },
  { title: 'MessageOut' },
);
export type MessageOut = Static<typeof MessageOut>;

/** The stored payload text is spliced in as-is: the hot path never parses and re-serialises it. */
export function messageOutJson(message: Message, withContent: boolean): string {
  const payload = withContent && message.payload !== null ? message.payload : '{}';
  return (
    `{"id":${JSON.stringify(message.id)},"eventType":${JSON.stringify(message.eventType)},` +
    `"eventId":${JSON.stringify(message.eventId)},"payload":${payload},` +
    `"channels":${JSON.stringify(message.channels)},"tags":${JSON.stringify(message.tags)},` +
    `"timestamp":"${iso(message.createdAt)}"}`
  );
}

export function toMessageOut(message: Message, withContent: boolean): MessageOut {
  return {
    id: message.id,
    eventType: message.eventType,
    eventId: message.eventId,
    payload: withContent && message.payload !== null ? (JSON.parse(message.payload) as Record<string, unknown>) : {},
    channels: message.channels,
    tags: message.tags,
    timestamp: iso(message.createdAt),
  };
}
