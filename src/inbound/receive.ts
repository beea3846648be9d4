import { createHash } from 'node:crypto';
import type { HandshakeReply } from './verification/types.js';
import { verifyInbound } from './verification/index.js';
import { field, idText, parseJson, typeText } from './verification/payload.js';
import { validatePayload } from './payload-schemas.js';
import { routeMessage } from '../delivery/routing.js';
import type { InboundEvent, InboundEventStore, InboundRequestInfo, ReceiveOutcome, Source, VerificationFailingRule } from '../store/port.js';

/** A request as it reached the receive route. */
export interface ReceivedRequest {
  method: string;
  /** The URL the provider posted to, as the provider saw it (the public URL, not the one behind a proxy). */
  url: string;
  path: string;
  query: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * What became of a request. Expected outcomes are values, never exceptions: only the route decides that `rejected`
 * is a 401 and the others are answered 2xx.
 */
export type ReceiveResult =
  | { kind: 'stored'; outcome: ReceiveOutcome; event: InboundEvent }
  | { kind: 'handshake'; reply: HandshakeReply }
  | { kind: 'rejected'; reason: string; event: InboundEvent };

export interface ReceiveOptions {
  store: Pick<InboundEventStore, 'receiveInboundEvent' | 'recordRejectedRequest'>;
  now: () => number;
  /** How long received bodies are kept. */
  bodyRetentionDays: number;
  /** When a source counts as failing verification (`source.verification_failing`). */
  failingRule?: VerificationFailingRule;
}

/** Headers that carry credentials for Hookyard itself: never stored, never forwarded. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

function storedHeaders(source: Source, headers: Record<string, string>): Record<string, string> {
  const drop = new Set(CREDENTIAL_HEADERS);
  // An api-key source's key travels in a header of the user's choosing.
  const keyHeader = source.type === 'api-key' ? source.config.header : undefined;
  drop.add(typeof keyHeader === 'string' ? keyHeader.toLowerCase() : 'x-api-key');
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !drop.has(name)));
}

function requestInfo(source: Source, request: ReceivedRequest): InboundRequestInfo {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    headers: storedHeaders(source, request.headers),
    contentType: request.headers['content-type'] ?? null,
    bodySize: request.body.length,
    bodySha256: createHash('sha256').update(request.body).digest('hex'),
  };
}

/** The scheme's event id, else the source's configured JSON path or header, else the body's hash. */
function dedupKeyOf(source: Source, schemeId: string | null, payload: unknown, request: ReceivedRequest, bodySha256: string): { key: string; providerId: string | null } {
  if (schemeId !== null) return { key: `id:${schemeId}`, providerId: schemeId };
  const { jsonPath, header } = source.dedup;
  const fromPath = jsonPath === null ? null : idText(field(payload, ...jsonPath.split('.')));
  const fromHeader = header === null ? null : idText(request.headers[header.toLowerCase()]);
  const configured = fromPath ?? fromHeader;
  if (configured !== null) return { key: `id:${configured}`, providerId: configured };
  return { key: `sha256:${bodySha256}`, providerId: null };
}

/**
 * Receives one provider request for `source`: verify it, then store it durably (with its dedup record and, unless
 * it is a duplicate or fails its schema, its forwarding to every destination) before anything is answered.
 */
export async function receiveWebhook(options: ReceiveOptions, source: Source, request: ReceivedRequest): Promise<ReceiveResult> {
  const time = options.now();
  const info = requestInfo(source, request);
  const verification = verifyInbound(source.type, source.config, { method: request.method, url: request.url, headers: request.headers, body: request.body }, time);
  if (!verification.ok) {
    const event = await options.store.recordRejectedRequest({ sourceId: source.id, request: info, reason: verification.reason, failingRule: options.failingRule });
    return { kind: 'rejected', reason: verification.reason, event };
  }
  if (verification.reply) return { kind: 'handshake', reply: verification.reply };

  const payload = parseJson(request.body);
  const eventType = verification.eventType ?? typeText(field(payload, 'type'));
  const dedup = dedupKeyOf(source, verification.eventId, payload, request, info.bodySha256);
  const deduplicating = source.dedup.windowSeconds > 0;
  const { event, outcome } = await options.store.receiveInboundEvent(
    {
      sourceId: source.id,
      request: info,
      body: request.body,
      eventType,
      providerEventId: dedup.providerId,
      dedupKey: deduplicating ? dedup.key : null,
      dedupWindowMs: source.dedup.windowSeconds * 1000,
      validationErrors: validatePayload(source, eventType, payload),
      bodyRetentionDays: options.bodyRetentionDays,
    },
    routeMessage,
  );
  return { kind: 'stored', outcome, event };
}
