import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../context.js';
import { ApiError } from '../errors.js';
import { HttpErrorOut, NoContent, Nullable } from '../shared-schemas.js';
import { withTimeout } from '../../core/timeout.js';

/** A check that has not answered by then counts as failed: a health probe must answer, whatever hangs. */
const CHECK_TIMEOUT_MS = 3000;

const ComponentStatus = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
  detail: Type.Optional(Type.String()),
});

const QueueStatus = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('stuck')]),
  /** Deliveries due and not being sent. */
  due: Type.Integer(),
  /** How long the oldest of them has been due, milliseconds; null when none is. */
  oldestDueAgeMs: Nullable(Type.Integer()),
  detail: Type.Optional(Type.String()),
});

const HealthDegradedOut = Type.Object(
  {
    status: Type.Literal('degraded'),
    store: ComponentStatus,
    redis: Type.Optional(ComponentStatus),
    queue: Type.Optional(QueueStatus),
  },
  {
    description:
      'Extension: the process still accepts and delivers, but Redis is down, or (on a process running workers) due deliveries wait longer than HOOKYARD_STUCK_QUEUE_MS.',
  },
);

const NO_ANSWER = { ok: false, detail: `no answer within ${CHECK_TIMEOUT_MS / 1000} s` };

/**
 * `/health` is readiness: 204 when the store answers (and Redis, when configured); 503 when the store does not,
 * as nothing can be accepted then; 200 with a report when only Redis is down, as the process still accepts and
 * delivers (throttles and probes fall back to per-process) and a load balancer should keep it. Likewise when the
 * queue is stuck: the oldest due delivery has waited longer than `stuckQueueMs`. Only a process running workers
 * says so, as only workers drain the queue; an API process cannot know whether any worker runs. `/health/ping` is
 * liveness: it answers whenever the process does.
 */
export function healthRoutes(deps: ApiDeps): FastifyPluginAsync {
  const runsWorkers = deps.config.role !== 'api';

  async function queueStatus(): Promise<Static<typeof QueueStatus> | null> {
    if (!runsWorkers) return null;
    const reading = await deps.queue.read();
    // Unknown (the count timed out): the store check says whether the store itself is the trouble.
    if (!reading) return null;
    const ageMs = reading.oldestDueAt ? Math.max(0, deps.now() - reading.oldestDueAt.getTime()) : null;
    const stuck = ageMs !== null && ageMs > deps.config.stuckQueueMs;
    return {
      status: stuck ? 'stuck' : 'ok',
      due: reading.due,
      oldestDueAgeMs: ageMs,
      ...(stuck ? { detail: `the oldest due delivery has waited ${Math.round(ageMs / 1000)} s (limit ${deps.config.stuckQueueMs / 1000} s)` } : {}),
    };
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/health',
      {
        config: { public: true, probe: true },
        schema: {
          tags: ['Health'],
          operationId: 'v1.health.get',
          summary: 'Is the server ready: its store (and Redis, when configured) reachable',
          security: [],
          response: { 200: HealthDegradedOut, 204: NoContent, 503: HttpErrorOut },
        },
      },
      async (_request, reply) => {
        const [store, redis, queue] = await Promise.all([
          withTimeout(deps.store.health(), CHECK_TIMEOUT_MS, NO_ANSWER),
          withTimeout(deps.coordination.health(), CHECK_TIMEOUT_MS, NO_ANSWER),
          queueStatus(),
        ]);
        if (!store.ok) throw new ApiError(503, 'unhealthy', `store unavailable: ${store.detail ?? 'unknown'}`);
        const redisDown = redis !== null && !redis.ok;
        if (redisDown || queue?.status === 'stuck') {
          return reply.code(200).send({
            status: 'degraded',
            store: { status: 'ok' },
            ...(redis ? { redis: redis.ok ? { status: 'ok' as const } : { status: 'down' as const, detail: redis.detail ?? 'unknown' } } : {}),
            ...(queue ? { queue } : {}),
          });
        }
        return reply.code(204).send(null);
      },
    );
    app.get(
      '/health/ping',
      { config: { public: true, probe: true }, schema: { tags: ['Health'], operationId: 'v1.health.ping', summary: 'Is the server up', security: [], response: { 204: NoContent } } },
      async (_request, reply) => reply.code(204).send(null),
    );
  };
}
