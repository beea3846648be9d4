import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Structured JSON logs. Credentials are redacted by path as a second line of defence; the first is never
 * handing them to the logger at all.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'token',
  'secret',
  'key',
  '*.token',
  '*.secret',
  '*.authorization',
];

/**
 * `sensitiveFields` names fields (at the top level or one level down) that are censored wherever they appear: the
 * operator's list of what their payloads may carry (`password`, `cardNumber`…), for any log line that holds data.
 */
export function createLogger(level: string, destination?: DestinationStream, sensitiveFields: readonly string[] = []): Logger {
  const extra = sensitiveFields.flatMap((field) => [field, `*.${field}`]);
  return pino({ level, base: { service: 'hookyard' }, redact: { paths: [...redactedPaths, ...extra], censor: '[redacted]' } }, destination);
}
