import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { routeMessage } from '../../delivery/routing.js';
import { validatePayload } from '../../inbound/payload-schemas.js';
import { parseJson } from '../../inbound/verification/payload.js';
import type { InboundEvent, InboundEventState } from '../../store/port.js';
import { MessageAttemptOut, toAttemptOut } from '../attempt/schemas.js';
import type { ApiDeps } from '../context.js';
import { absentBodyAsEmpty } from '../json-body.js';
import { conflict, invalid, notFound } from '../errors.js';
import { EventTypesQuery, TimeRangeQuery, optionalDate, splitEventTypes } from '../list-filters.js';
import { unwrap } from '../outcomes.js';
import { IdOrUid, IdempotencyHeaders, ListResponse, Ordering, PaginationQuery, errorResponses, iso } from '../shared-schemas.js';
import { BackgroundTaskOut, InboundEventOut, InboundEventState as StateSchema, ReleaseIn, ReplayFilterIn, toInboundEventOut } from './schemas.js';
import { loadSource } from './source-routes.js';

const tags = ['Ingest Event'];
const SourceParams = Type.Object({ source_id: IdOrUid });
const EventParams = Type.Object({ source_id: IdOrUid, event_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^evt_[A-Za-z0-9]+$' }) });
/** Enough for any realistic fan-out; the event page shows each destination's state. */
const MAX_DESTINATIONS_SHOWN = 250;

/**
 * Extension to the Ingest API: the events a source received, with their states, and replay. Paths live under the
 * source: `/ingest/api/v1/source/{source_id}/event…`.
 */
export function inboundEventRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;

  async function loadEvent(request: FastifyRequest, sourceIdOrUid: string, eventId: string) {
    const source = await loadSource(deps, request, sourceIdOrUid);
    const event = await store.getInboundEvent(source.id, eventId);
    if (!event) throw notFound();
    return { source, event };
  }

  async function withDestinations(event: InboundEvent) {
    const out = toInboundEventOut(event, true);
    if (event.msgId === null) return { ...out, destinations: [] };
    const page = await store.listMessageDestinations(event.sourceId, event.msgId, { limit: MAX_DESTINATIONS_SHOWN });
    return {
      ...out,
      destinations: page.data.map(({ endpoint, delivery }) => ({
        endpointId: endpoint.id,
        status: delivery.status,
        nextAttempt: delivery.nextAttemptAt && iso(delivery.nextAttemptAt),
      })),
    };
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/source/:source_id/event',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.list',
          summary: 'List the events a source received, newest first, by state, type and time',
          params: SourceParams,
          querystring: Type.Object({
            ...PaginationQuery,
            ...TimeRangeQuery,
            order: Type.Optional(Ordering),
            state: Type.Optional(Type.Array(StateSchema, { maxItems: 6 })),
            event_types: EventTypesQuery,
          }),
          response: { 200: ListResponse(InboundEventOut, 'InboundEventOut'), ...errorResponses },
        },
      },
      async (request) => {
        const source = await loadSource(deps, request, request.params.source_id);
        const { limit = 50, iterator, order, state, event_types, before, after } = request.query;
        const eventTypes = splitEventTypes(event_types);
        if (eventTypes === 'invalid') throw invalid(['query', 'event_types'], 'must be event type names');
        const page = await store.listInboundEvents(
          source.id,
          { limit, iterator, order: order ?? 'descending' },
          { states: (state as InboundEventState[] | undefined) ?? null, eventTypes, since: optionalDate(after), until: optionalDate(before) },
        );
        return { ...page, data: page.data.map((event) => toInboundEventOut(event, false)) };
      },
    );

    app.get(
      '/source/:source_id/event/:event_id',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.get',
          summary: 'Get an event with its raw body and the state of each destination',
          params: EventParams,
          response: { 200: InboundEventOut, ...errorResponses },
        },
      },
      async (request) => {
        const { event } = await loadEvent(request, request.params.source_id, request.params.event_id);
        return withDestinations(event);
      },
    );

    app.get(
      '/source/:source_id/event/:event_id/attempt',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.list-attempts',
          summary: "List the attempts to forward an event to the source's destinations",
          params: EventParams,
          querystring: Type.Object({ ...PaginationQuery }),
          response: { 200: ListResponse(MessageAttemptOut, 'MessageAttemptOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { source, event } = await loadEvent(request, request.params.source_id, request.params.event_id);
        if (event.msgId === null) return { data: [], iterator: null, prevIterator: null, done: true };
        const { limit = 50, iterator } = request.query;
        const page = await store.listAttemptsByMessage(source.id, event.msgId, { limit, iterator }, {});
        return { ...page, data: page.data.map((attempt) => toAttemptOut(attempt)) };
      },
    );

    app.post(
      '/source/:source_id/event/:event_id/replay',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.replay',
          summary: "Forward an event again to every current destination (a manual attempt), whatever its earlier outcome",
          params: EventParams,
          headers: IdempotencyHeaders,
          response: { 202: InboundEventOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { source, event } = await loadEvent(request, request.params.source_id, request.params.event_id);
        const replayed = unwrap(await store.replayInboundEvent(source.id, event.id, routeMessage));
        deps.wakeDelivery();
        return reply.code(202).send(await withDestinations(replayed));
      },
    );

    app.post(
      '/source/:source_id/event/:event_id/release',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.release',
          summary: "Forward a quarantined event once its payload passes its type's current schema (or with force)",
          params: EventParams,
          headers: IdempotencyHeaders,
          body: ReleaseIn,
          response: { 202: InboundEventOut, ...errorResponses },
        },
        preValidation: absentBodyAsEmpty,
      },
      async (request, reply) => {
        const { source, event } = await loadEvent(request, request.params.source_id, request.params.event_id);
        if (event.state !== 'quarantined') throw conflict(`Only quarantined events can be released; this one is ${event.state}.`);
        if (!request.body.force) {
          const problems = event.body && validatePayload(source, event.eventType, parseJson(event.body));
          if (problems) {
            const listed = problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
            throw conflict(`The payload still fails the schema of ${event.eventType}: ${listed}. Fix the schema, or release with force.`);
          }
        }
        const released = unwrap(await store.releaseInboundEvent(source.id, event.id, routeMessage));
        deps.wakeDelivery();
        return reply.code(202).send(await withDestinations(released));
      },
    );

    app.post(
      '/source/:source_id/event/replay',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.event.replay-many',
          summary: 'Replay every forwardable event matching a filter, in the background',
          params: SourceParams,
          headers: IdempotencyHeaders,
          body: ReplayFilterIn,
          response: { 202: BackgroundTaskOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const source = await loadSource(deps, request, request.params.source_id);
        const { states, eventTypes, since, until } = request.body;
        if (since && until && new Date(until).getTime() < new Date(since).getTime()) throw invalid(['body', 'until'], 'must not be before since');
        const task = await store.createBackgroundTask({
          kind: 'source.replay',
          appId: source.id,
          endpointId: null,
          params: { since: since ?? null, until: until ?? null, states: states ?? null, eventTypes: eventTypes ?? null },
        });
        deps.startTask(task.id);
        return reply.code(202).send({ id: task.id, status: 'running', task: 'source.replay', data: null, updatedAt: iso(task.updatedAt) });
      },
    );
  };
}
