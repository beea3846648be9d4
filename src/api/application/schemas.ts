import { Type, type Static } from 'typebox';
import type { Application } from '../../store/port.js';
import { DateTime, Metadata, Nullable, NullableUid, iso } from '../shared-schemas.js';

const ThrottleRate = Type.Integer({ minimum: 1, maximum: 65535, description: 'Maximum messages per second to send to this application\'s endpoints.' });
const PayloadRetentionPeriod = Type.Integer({
  minimum: 1,
  maximum: 3650,
  description: "Days new messages keep their payload unless they set their own period; null: the server's default. Extension.",
});

export const ApplicationIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 1024, example: 'My first application' }),
    uid: Type.Optional(NullableUid),
    throttleRate: Type.Optional(Nullable(ThrottleRate)),
    /** Newer Svix name for throttleRate; accepted so newer SDKs work unmodified. */
    rateLimit: Type.Optional(Nullable(ThrottleRate)),
    metadata: Type.Optional(Metadata),
    payloadRetentionPeriod: Type.Optional(Nullable(PayloadRetentionPeriod)),
  },
  { additionalProperties: false, title: 'ApplicationIn' },
);
export type ApplicationIn = Static<typeof ApplicationIn>;

export const ApplicationPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    uid: Type.Optional(NullableUid),
    throttleRate: Type.Optional(Nullable(ThrottleRate)),
    rateLimit: Type.Optional(Nullable(ThrottleRate)),
    metadata: Type.Optional(Metadata),
    payloadRetentionPeriod: Type.Optional(Nullable(PayloadRetentionPeriod)),
  },
  { additionalProperties: false, title: 'ApplicationPatch' },
);
export type ApplicationPatch = Static<typeof ApplicationPatch>;

export const ApplicationOut = Type.Object(
  {
    id: Type.String({ example: 'app_1srOrx2ZWZBpBUvZwXKQmoEYga2' }),
    uid: Nullable(Type.String()),
    name: Type.String(),
    throttleRate: Nullable(Type.Integer()),
    rateLimit: Nullable(Type.Integer()),
    metadata: Metadata,
    payloadRetentionPeriod: Nullable(Type.Integer()),
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { title: 'ApplicationOut' },
);
export type ApplicationOut = Static<typeof ApplicationOut>;

export function toApplicationOut(app: Application): ApplicationOut {
  return {
    id: app.id,
    uid: app.uid,
    name: app.name,
    throttleRate: app.throttleRate,
    rateLimit: app.throttleRate,
    metadata: app.metadata,
    payloadRetentionPeriod: app.payloadRetentionPeriod,
    createdAt: iso(app.createdAt),
    updatedAt: iso(app.updatedAt),
  };
}
