import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireOrganisationAccess, type ApiDeps } from '../context.js';
import { invalid } from '../errors.js';
import { optionalDate } from '../list-filters.js';
import { DateTime, Nullable, errorResponses } from '../shared-schemas.js';
import { AttemptLatencyOut, DeliveryCounts } from './schemas.js';
import { circuitState } from '../../delivery/circuit-breaker.js';

const StatsOut = Type.Object(
  {
    since: Nullable(DateTime),
    until: Nullable(DateTime),
    messages: Type.Integer({ description: 'Messages created in the range (published, and forwarded inbound events)' }),
    ...DeliveryCounts,
    attemptLatency: AttemptLatencyOut,
  },
  {
    title: 'StatsOut',
    description: 'Extension: deliveries of every application created in [since, until) by status, and the latency of the attempts made in it.',
  },
);

const FailingEndpointsOut = Type.Object(
  {
    data: Type.Array(
      Type.Object({
        appId: Type.String({ description: 'The application, or the source (src_…) whose destination it is' }),
        endpointId: Type.String(),
        url: Type.String(),
        disabled: Type.Boolean(),
        consecutiveFailures: Type.Integer(),
        failingSince: Nullable(DateTime),
        lastFailureAt: Nullable(DateTime),
        circuitState: Type.String({ description: 'closed, open or half_open' }),
      }),
    ),
  },
  { title: 'FailingEndpointsOut' },
);

/** `GET /api/v1/stats` (extension): the whole installation's delivery counts and attempt latency over a time range. */
export function statsRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/stats',
      {
        schema: {
          tags: ['Stats'],
          operationId: 'v1.stats.get',
          summary: 'Delivery counts by status and attempt latency percentiles across all applications (extension)',
          querystring: Type.Object({ since: Type.Optional(Nullable(DateTime)), until: Type.Optional(Nullable(DateTime)) }),
          response: { 200: StatsOut, ...errorResponses },
        },
      },
      async (request) => {
        // Every application's numbers: not for a credential confined to one of them.
        requireOrganisationAccess(request);
        const range = { since: optionalDate(request.query.since), until: optionalDate(request.query.until) };
        if (range.since && range.until && range.until <= range.since) throw invalid(['query', 'until'], 'must be after since');
        const [messages, counts, attemptLatency] = await Promise.all([
          deps.store.messageCount(range),
          deps.store.deliveryCounts(range),
          deps.store.attemptLatency(range),
        ]);
        return { since: range.since?.toISOString() ?? null, until: range.until?.toISOString() ?? null, messages, ...counts, attemptLatency };
      },
    );

    app.get(
      '/stats/failing-endpoints',
      {
        schema: {
          tags: ['Stats'],
          operationId: 'v1.stats.failing-endpoints',
          summary: 'Endpoints of every application and source whose latest attempts failed, longest run first (extension)',
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 250, default: 50 })) }),
          response: { 200: FailingEndpointsOut, ...errorResponses },
        },
      },
      async (request) => {
        requireOrganisationAccess(request);
        const breaker = { threshold: deps.config.circuitBreakerThreshold, cooldownMs: deps.config.circuitBreakerCooldownMs };
        const failing = await deps.store.listFailingEndpoints(request.query.limit ?? 50);
        return {
          data: failing.map((endpoint) => ({
            appId: endpoint.appId,
            endpointId: endpoint.endpointId,
            url: endpoint.url,
            disabled: endpoint.disabled,
            consecutiveFailures: endpoint.consecutiveFailures,
            failingSince: endpoint.failingSince && endpoint.failingSince.toISOString(),
            lastFailureAt: endpoint.lastFailureAt && endpoint.lastFailureAt.toISOString(),
            circuitState: circuitState(
              { endpointId: endpoint.endpointId, consecutiveFailures: endpoint.consecutiveFailures, failingSince: endpoint.failingSince, lastFailureAt: endpoint.lastFailureAt, lastSuccessAt: null },
              breaker,
              deps.now(),
            ).state,
          })),
        };
      },
    );
  };
}
