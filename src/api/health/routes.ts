import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../context.js';
import { ApiError } from '../errors.js';
import { HttpErrorOut, NoContent } from '../shared-schemas.js';

export function healthRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/health',
      {
        config: { public: true },
        schema: { tags: ['Health'], operationId: 'v1.health.get', summary: 'Is the server and its store healthy', security: [], response: { 204: NoContent, 503: HttpErrorOut } },
      },
      async (_request, reply) => {
        const health = await deps.store.health();
        if (!health.ok) throw new ApiError(503, 'unhealthy', `store unavailable: ${health.detail ?? 'unknown'}`);
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/health/ping',
      { config: { public: true }, schema: { tags: ['Health'], operationId: 'v1.health.ping', summary: 'Is the server up', security: [], response: { 204: NoContent } } },
      async (_request, reply) => reply.code(204).send(null),
    );
  };
}
