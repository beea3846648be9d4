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

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'hookyard' }, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}
