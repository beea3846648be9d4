import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireOrganisationAccess, type ApiDeps } from '../context.js';
import { invalid } from '../errors.js';
import { optionalDate } from '../list-filters.js';
import { DateTime, Nullable, errorResponses } from '../shared-schemas.js';
import { AttemptLatencyOut, DeliveryCounts } from './schemas.js';

const StatsOut = Type.Object(
  {
    since: Nullable(DateTime),
    until: Nullable(DateTime),
    ...DeliveryCounts,
    attemptLatency: AttemptLatencyOut,
  },
  {
    title: 'StatsOut',
    description: 'Extension: deliveries of every application created in [since, until) by status, and the latency of the attempts made in it.',
  },
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
        const [counts, attemptLatency] = await Promise.all([deps.store.deliveryCounts(range), deps.store.attemptLatency(range)]);
        return { since: range.since?.toISOString() ?? null, until: range.until?.toISOString() ?? null, ...counts, attemptLatency };
      },
    );
  };
}
