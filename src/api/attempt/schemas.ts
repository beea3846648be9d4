import { Type, type Static } from 'typebox';
import type { Attempt } from '../../store/port.js';
import { DateTime, MessageStatus, MessageStatusText, TriggerTypeSchema, iso, statusTextOf } from '../shared-schemas.js';

export const MessageAttemptOut = Type.Object(
  {
    id: Type.String({ example: 'atmpt_1srOrx2ZWZBpBUvZwXKQmoEYga2' }),
    msgId: Type.String(),
    endpointId: Type.String(),
    url: Type.String(),
    response: Type.String({ description: 'The response body, cut to the configured size; empty once expunged.' }),
    responseStatusCode: Type.Integer({ description: '0 when no response was received.' }),
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
    responseStatusCode: attempt.responseStatusCode,
    responseDurationMs: attempt.responseDurationMs,
    status: attempt.status as 0 | 1 | 2 | 3,
    statusText: statusTextOf(attempt.status),
    timestamp: iso(attempt.createdAt),
    triggerType: attempt.triggerType as 0 | 1,
  };
}
