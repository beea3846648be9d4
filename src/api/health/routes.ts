import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../context.js';
import { ApiError } from '../errors.js';
import { HttpErrorOut, NoContent } from '../shared-schemas.js';

/** A check that has not answered by then counts as failed: a health probe must answer, whatever hangs. */
const CHECK_TIMEOUT_MS = 3000;

const ComponentStatus = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  detail: Type.Optional(Type.String()),
});

const HealthDegradedOut = Type.Object(
  {
    status: Type.Literal('degraded'),
    store: ComponentStatus,
    redis: ComponentStatus,
  },
  { description: 'Extension: the store works but a shared dependency does not; the process still accepts and delivers.' },
);

async function withTimeout<T>(check: Promise<T>, failed: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(failed), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([check, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/health` is readiness: 204 when the store answers (and Redis, when configured); 503 when the store does not,
 * as nothing can be accepted then; 200 with a report when only Redis is down, as the process still accepts and
 * delivers (throttles and probes fall back to per-process) and a load balancer should keep it. `/health/ping` is
 * liveness: it answers whenever the process does.
 */
export function healthRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/health',
      {
        config: { public: true },
        schema: {
          tags: ['Health'],
          operationId: 'v1.health.get',
          summary: 'Is the server ready: its store (and Redis, when configured) reachable',
          security: [],
          response: { 200: HealthDegradedOut, 204: NoContent, 503: HttpErrorOut },
        },
      },
      async (_request, reply) => {
        const [store, redis] = await Promise.all([
          withTimeout(deps.store.health(), { ok: false, detail: 'no answer within 3 s' }),
          withTimeout(deps.coordination.health(), { ok: false, detail: 'no answer within 3 s' }),
        ]);
        if (!store.ok) throw new ApiError(503, 'unhealthy', `store unavailable: ${store.detail ?? 'unknown'}`);
        if (redis && !redis.ok) {
          return reply.code(200).send({ status: 'degraded', store: { status: 'ok' }, redis: { status: 'down', detail: redis.detail ?? 'unknown' } });
        }
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
