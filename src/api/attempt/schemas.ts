import { Type, type Static } from 'typebox';
import type { Attempt } from '../../store/port.js';
import { DateTime, MessageStatus, MessageStatusText, Nullable, TriggerTypeSchema, iso, statusTextOf } from '../shared-schemas.js';

export const MessageAttemptOut = Type.Object(
  {
    id: Type.String({ example: 'atmpt_1srOrx2ZWZBpBUvZwXKQmoEYga2' }),
    msgId: Type.String(),
    endpointId: Type.String(),
    url: Type.String(),
    response: Type.String({ description: 'The response body, cut to the configured size; empty once expunged.' }),
    responseStatusCode: Type.Integer({ description: '0 when no response was received.' }),
    requestHeaders: Type.Optional(
      Nullable(Type.Record(Type.String(), Type.String(), { description: 'Extension: the headers the request was sent with; credential-like values redacted.' })),
    ),
    responseDurationMs: Type.Integer(),
    status: MessageStatus,
    statusText: MessageStatusText,
    timestamp: DateTime,
    triggerType: TriggerTypeSchema,
  },
  { title: 'MessageAttemptOut' },
);
export type MessageAttemptOut = Static<typeof MessageAttemptOut>;


export function toAttemptOut(attempt: Attempt, withContent = true): MessageAttemptOut {
  return {
    id: attempt.id,
    msgId: attempt.msgId,
    endpointId: attempt.endpointId,
    url: attempt.url,
    response: withContent ? (attempt.response ?? '') : '',
    requestHeaders: withContent ? attempt.requestHeaders : null,
    responseStatusCode: attempt.responseStatusCode,
    responseDurationMs: attempt.responseDurationMs,
    status: attempt.status as 0 | 1 | 2 | 3,
    statusText: statusTextOf(attempt.status),
    timestamp: iso(attempt.createdAt),
    triggerType: attempt.triggerType as 0 | 1,
  };
}
