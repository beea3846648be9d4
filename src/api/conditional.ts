import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { preconditionFailed } from './errors.js';

/**
 * Strong ETags from a resource's id and version (RFC 9110 §8.8.3). The version makes If-Match an atomic
 * compare-and-set in the store instead of a read-then-write race.
 */
export function etagOf(id: string, version: number): string {
  const tag = createHash('sha256').update(id).digest('base64url').slice(0, 10);
  return `"${tag}.${version}"`;
}

export function sendWithEtag<T>(request: FastifyRequest, reply: FastifyReply, resource: { id: string; version: number }, body: T): T | FastifyReply {
  const etag = etagOf(resource.id, resource.version);
  reply.header('etag', etag);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((candidate) => candidate.trim() === etag || candidate.trim() === '*')) {
    return reply.code(304).send();
  }
  return body;
}

/**
 * The version a write must find, from If-Match; undefined when the header is absent or `*`.
 * Throws 412 when the header names no ETag of the current resource.
 */
export function expectedVersion(request: FastifyRequest, current: { id: string; version: number }): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const candidates = header.split(',').map((c) => c.trim());
  if (candidates.includes('*')) return undefined;
  const etag = etagOf(current.id, current.version);
  if (!candidates.includes(etag)) throw preconditionFailed();
  return current.version;
}
