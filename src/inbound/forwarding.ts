import type { ForwardedRequest } from '../store/port.js';

/**
 * Which of a provider's original headers a destination receives with the forwarded body. Everything is passed on
 * (event names, delivery ids and the provider's own signature are what a destination's code already reads), except
 * what belongs to the hop from the provider to Hookyard, what could carry Hookyard's own credentials, and the
 * signature headers Hookyard sets itself with the destination's secret.
 */
const NOT_FORWARDED = new Set([
  'host',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'accept-encoding',
  'authorization',
  'proxy-authorization',
  'cookie',
  'forwarded',
  'x-real-ip',
]);

const NOT_FORWARDED_PREFIXES = ['proxy-', 'x-forwarded-', 'webhook-', 'svix-'];

export function forwardedHeaders(inbound: ForwardedRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(inbound.headers)) {
    if (NOT_FORWARDED.has(name) || NOT_FORWARDED_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    headers[name] = value;
  }
  headers['content-type'] = inbound.contentType ?? 'application/octet-stream';
  headers['x-hookyard-event-id'] = inbound.eventId;
  return headers;
}
