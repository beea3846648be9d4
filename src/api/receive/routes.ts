import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { receiveWebhook, type ReceivedRequest } from '../../inbound/receive.js';
import type { Source } from '../../store/port.js';
import { HttpErrorOut } from '../shared-schemas.js';
import { annotateLog } from '../plugins/observability.js';

/** Ingest tokens are base62/base64url; anything else cannot be one, and is refused before a lookup. */
const TOKEN = Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' });

const ReceivedOut = Type.Object(
  { id: Type.String({ description: 'The inbound event id' }), state: Type.String() },
  { title: 'ReceivedOut', description: 'The default answer; a source may configure its own.' },
);

function headersOf(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** The URL the provider signed: the public URL when one is configured (Hookyard behind a proxy), else this request's. */
function providerUrl(deps: ApiDeps, request: FastifyRequest): string {
  const base = deps.config.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
  return `${base}${request.url}`;
}

/**
 * Where providers post (`/in/{token}`). Any content type is taken as raw bytes and kept byte for byte. The request
 * is verified, and committed to the store with everything it causes (dedup record, forwarding), before the 2xx;
 * forwarding itself is asynchronous.
 */
export function receiveRoutes(deps: ApiDeps): FastifyPluginAsync {
  const receiveOptions = {
    store: deps.store,
    now: deps.now,
    bodyRetentionDays: deps.config.inboundRetentionDays,
    failingRule: { threshold: deps.config.verificationFailingThreshold, windowMs: deps.config.verificationFailingWindowSeconds * 1000 },
  };

  /** A body chosen by the source or the provider's handshake, sent as it is, past the response schema. */
  function sendVerbatim(reply: FastifyReply, answer: { status: number; contentType: string; body: string }) {
    return reply.code(answer.status).type(answer.contentType).serializer((payload: unknown) => String(payload)).send(answer.body);
  }

  function answerStored(reply: FastifyReply, source: Source, event: { id: string; state: string }) {
    reply.header('x-hookyard-event-id', event.id);
    if (source.response) return sendVerbatim(reply, source.response);
    return reply.code(200).send({ id: event.id, state: event.state });
  }

  return async (plugin) => {
    plugin.removeAllContentTypeParsers();
    plugin.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    for (const method of ['POST', 'PUT', 'PATCH'] as const) {
      app.route({
        method,
        url: '/in/:token',
        config: { public: true, quotaByAddress: true },
        schema: {
          tags: ['Receiving'],
          operationId: `in.receive.${method.toLowerCase()}`,
          summary: 'Receive a webhook from a provider (the ingest URL of a source)',
          security: [],
          params: Type.Object({ token: TOKEN }),
          response: { 200: ReceivedOut, 401: HttpErrorOut, 404: HttpErrorOut, 413: HttpErrorOut, 429: HttpErrorOut },
        },
        handler: async (request, reply) => {
          const source = await deps.sources.byToken(request.params.token);
          if (!source) {
            deps.metrics.inboundRequest('unknown', 'unknown_source');
            throw notFound('No source has this ingest URL.');
          }
          const queryAt = request.url.indexOf('?');
          const received: ReceivedRequest = {
            method: request.method,
            url: providerUrl(deps, request),
            path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
            query: queryAt === -1 ? '' : request.url.slice(queryAt + 1),
            headers: headersOf(request),
            body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
          };
          const result = await receiveWebhook(receiveOptions, source, received);
          deps.metrics.inboundRequest(source.type, result.kind === 'stored' ? result.outcome : result.kind);
          annotateLog(request, { sourceId: source.id, eventId: result.kind === 'handshake' ? null : result.event.id });
          switch (result.kind) {
            case 'rejected':
              request.log.warn({ sourceId: source.id, eventId: result.event.id, reason: result.reason }, 'inbound verification failed');
              throw new ApiError(401, 'verification_failed', result.reason);
            case 'handshake':
              return sendVerbatim(reply as FastifyReply, result.reply);
            case 'stored':
              if (result.outcome === 'accepted') {
                deps.wakeDelivery();
                deps.metrics.messageAccepted('inbound');
                annotateLog(request, { msgId: result.event.msgId });
              }
              return answerStored(reply as FastifyReply, source, result.event);
          }
        },
      });
    }
  };
}
