import { Type } from 'typebox';
import { Nullable } from '../shared-schemas.js';

const Millis = Nullable(Type.Integer({ minimum: 0 }));

export const AttemptLatencyOut = Type.Object(
  {
    count: Type.Integer({ description: 'Attempts made in the range' }),
    p50: Millis,
    p90: Millis,
    p99: Millis,
  },
  {
    title: 'AttemptLatencyOut',
    description:
      'Extension: response durations of the attempts made in the range, in milliseconds, as nearest-rank percentiles (null without attempts).',
  },
);

export const DeliveryCounts = {
  success: Type.Integer(),
  pending: Type.Integer(),
  sending: Type.Integer(),
  fail: Type.Integer(),
  canceled: Type.Integer(),
};
