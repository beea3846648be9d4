import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AuditEntry, AuditStore } from '../../store/port.js';

export interface AuditOptions {
  store: Pick<AuditStore, 'recordAudit'>;
  logger: Logger;
  now: () => number;
}

/** Publishing messages is the data plane, not management: audited through its own records, not here. */
const NOT_AUDITED = new Set(['v1.message.create']);
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function outcomeOf(request: FastifyRequest, statusCode: number): AuditEntry['outcome'] | null {
  if (request.routeOptions.config.public || request.is404) return null;
  if (statusCode === 401) return 'unauthenticated';
  if (statusCode === 403) return 'denied';
  const action = request.routeOptions.schema?.operationId;
  if (statusCode < 400 && CHANGES.has(request.method) && action !== undefined && !NOT_AUDITED.has(action)) return 'success';
  return null;
}

/**
 * The audit log: every management change that succeeded, and every refused credential (401) or refused action
 * (403), with who, what, when and from where. Written before the answer is sent, so a change the caller saw
 * succeed is never missing from it; a failure to write it is logged, not turned into a failed request.
 */
export function registerAudit(app: FastifyInstance, options: AuditOptions): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const outcome = outcomeOf(request, reply.statusCode);
    if (outcome === null) return payload;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const entry: Omit<AuditEntry, 'id'> = {
      at: new Date(options.now()),
      actorId: request.principal?.tokenId ?? null,
      actorKind: request.principal?.kind ?? null,
      action: request.routeOptions.schema?.operationId ?? 'authenticate',
      method: request.method,
      // The path only: query strings can carry anything, and paths hold ids, not secrets (ingest URLs are public routes).
      path: request.url.split('?')[0]!.slice(0, 512),
      statusCode: reply.statusCode,
      outcome,
      appId: request.principal?.appId ?? params.app_id ?? params.source_id ?? null,
      ip: request.ip,
      requestId: request.id,
    };
    try {
      await options.store.recordAudit([entry]);
    } catch (error) {
      options.logger.error({ err: error, action: entry.action, requestId: entry.requestId }, 'could not record an audit entry');
    }
    return payload;
  });
}
