import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../context.js';
import { unauthorized } from '../errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * `GET /metrics`, the Prometheus text exposition, on every role (a worker process's metrics matter most). Open
 * unless `HOOKYARD_METRICS_TOKEN` is set; then it takes that bearer token, and only that one, so that a scraper
 * holds no API credential.
 */
export function metricsRoutes(deps: Pick<ApiDeps, 'config' | 'metrics'>): FastifyPluginAsync {
  const expected = deps.config.metricsToken === null ? null : digest(deps.config.metricsToken);
  return async (app) => {
    app.get('/metrics', { config: { public: true, probe: true }, schema: { hide: true } }, async (request, reply) => {
      if (expected !== null) {
        const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
        // Digests have one length, so the comparison takes the same time whatever was sent.
        if (!match || !timingSafeEqual(digest(match[1]!), expected)) throw unauthorized('GET /metrics needs the metrics token: "Authorization: Bearer <HOOKYARD_METRICS_TOKEN>".');
      }
      const text = await deps.metrics.exposition();
      return reply.type(deps.metrics.contentType).send(text);
    });
  };
}
