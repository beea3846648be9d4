import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../core/secret-box.js';
import type { Store } from '../../store/port.js';
import { ApiError, invalid } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyScope?: string;
  }
}

export interface IdempotencyOptions {
  store: Store;
  /** Stored responses are sealed: some carry a credential shown once (a new API key, a portal token). */
  secretBox: SecretBox;
  now: () => number;
  /** How long a stored response is replayed. */
  retentionMs?: number;
  /** How long a request may hold a key before another may take it over (its holder is presumed dead). */
  lockMs?: number;
  /** How long a duplicate waits for the first request before giving up with 409. */
  waitMs?: number;
}

const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Responses stored before they were sealed (JSON never starts like a sealed value) are replayed as they are. */
function unseal(box: SecretBox, stored: string): string {
  return /^v\d+\./.test(stored) ? box.decrypt(stored) : stored;
}

/**
 * Idempotency-Key on POST (IETF httpapi draft): the same key from the same caller on the same URL returns the first
 * response for 24 hours; a duplicate arriving while the first is running waits for it; a reused key with a
 * different body is a 422. Keys and responses are in the store, so they survive restarts and span processes.
 */
export function registerIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  const retentionMs = options.retentionMs ?? 24 * 3600 * 1000;
  const lockMs = options.lockMs ?? 30_000;
  const waitMs = options.waitMs ?? 20_000;

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '' || !request.principal) return;
    if (key.length > 256) throw invalid(['header', 'idempotency-key'], 'at most 256 characters');
    const scope = sha256([request.principal.tokenId, request.method, request.url, key].join('\n'));
    const fingerprint = sha256(request.rawBody ?? '');
    const deadline = options.now() + waitMs;
    for (;;) {
      const time = options.now();
      const claim = await options.store.claimIdempotencyKey({
        scope,
        fingerprint,
        lockedUntil: new Date(time + lockMs),
        expiresAt: new Date(time + retentionMs),
      });
      if (claim.state === 'claimed') {
        request.idempotencyScope = scope;
        return;
      }
      if (claim.fingerprint !== fingerprint) {
        throw invalid(['header', 'idempotency-key'], 'this idempotency key was used with a different request body', 'value_error.idempotency_key_reused');
      }
      if (claim.state === 'completed') {
        reply.code(claim.statusCode).headers(claim.headers).header('idempotent-replayed', 'true');
        return reply.send(claim.body === '' ? undefined : unseal(options.secretBox, claim.body));
      }
      if (time >= deadline) {
        throw new ApiError(409, 'idempotency_conflict', 'A request with this idempotency key is still being processed');
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const scope = request.idempotencyScope;
    if (!scope) return payload;
    request.idempotencyScope = undefined;
    // Server errors are not final answers: the caller should be able to retry with the same key.
    if (reply.statusCode >= 500) {
      await options.store.releaseIdempotencyKey(scope);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
    await options.store.completeIdempotencyKey(scope, { statusCode: reply.statusCode, body: body === '' ? '' : options.secretBox.encrypt(body), headers });
    return payload;
  });
}
