import { Type, type Static } from 'typebox';
import type { EventType } from '../../store/port.js';
import { DateTime, EventTypeName, Nullable, SAFE_ID_PATTERN, iso } from '../shared-schemas.js';

const FeatureFlag = Type.String({ maxLength: 256, pattern: SAFE_ID_PATTERN });
/** version → JSON Schema; schemas are free-form objects that must keep every property. */
const Schemas = Type.Record(Type.String({ maxLength: 64 }), Type.Object({}, { additionalProperties: true }), { maxProperties: 20 });

const editable = {
  description: Type.String({ maxLength: 4096, example: 'A user has signed up' }),
  archived: Type.Optional(Type.Boolean({ default: false })),
  deprecated: Type.Optional(Type.Boolean({ default: false })),
  featureFlag: Type.Optional(Nullable(FeatureFlag)),
  /** Newer Svix fields, accepted so newer SDKs work. */
  featureFlags: Type.Optional(Nullable(Type.Array(FeatureFlag, { maxItems: 10, uniqueItems: true }))),
  groupName: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
  schemas: Type.Optional(Nullable(Schemas)),
};

export const EventTypeIn = Type.Object({ name: EventTypeName, ...editable }, { additionalProperties: false, title: 'EventTypeIn' });
export type EventTypeIn = Static<typeof EventTypeIn>;
export const EventTypeUpdate = Type.Object(editable, { additionalProperties: false, title: 'EventTypeUpdate' });
export type EventTypeUpdate = Static<typeof EventTypeUpdate>;
export const EventTypePatch = Type.Object(
  { ...editable, description: Type.Optional(editable.description) },
  { additionalProperties: false, title: 'EventTypePatch' },
);
export type EventTypePatch = Static<typeof EventTypePatch>;

export const EventTypeOut = Type.Object(
  {
    name: Type.String(),
    description: Type.String(),
    archived: Type.Boolean(),
    deprecated: Type.Boolean(),
    featureFlag: Nullable(Type.String()),
    schemas: Nullable(Schemas),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'EventTypeOut' },
);
export type EventTypeOut = Static<typeof EventTypeOut>;

export function toEventTypeOut(eventType: EventType, withContent = true): EventTypeOut {
  return {
    name: eventType.name,
    description: eventType.description,
    archived: eventType.archived,
    deprecated: eventType.deprecated,
    featureFlag: eventType.featureFlag,
    schemas: withContent ? (eventType.schemas as EventTypeOut['schemas']) : null,
    createdAt: iso(eventType.createdAt),
    updatedAt: iso(eventType.updatedAt),
  };
}
