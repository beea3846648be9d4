import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { routeMessage } from '../../delivery/routing.js';
import type { Application } from '../../store/port.js';
import { loadApplication, principalOf, type ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { EventTypesQuery, TimeRangeQuery, optionalDate, splitEventTypes } from '../list-filters.js';
import { unwrap } from '../outcomes.js';
import { Channel, IdOrUid, IdempotencyHeaders, ListResponse, NoContent, Nullable, PaginationQuery, errorResponses } from '../shared-schemas.js';
import { MessageIn, MessageOut, messageOutJson, toMessageOut } from './schemas.js';
import { annotateLog } from '../plugins/observability.js';

const tags = ['Message'];
const AppParams = Type.Object({ app_id: IdOrUid });
const MessageParams = Type.Object({ app_id: IdOrUid, msg_id: IdOrUid });
const WithContent = { with_content: Type.Optional(Type.Boolean({ default: true })) };
const DAY_MS = 86_400_000;
/** Svix keeps payloads at most 90 days; scheduling further out than that could outlive the payload. */
const MAX_DELIVER_AT_MS = 90 * DAY_MS;

export function messageRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;

  /** The path's application, or the one created from the body's `application` when it does not exist yet. */
  async function applicationFor(request: Parameters<typeof loadApplication>[1], idOrUid: string, body: MessageIn): Promise<Application> {
    if (!body.application || principalOf(request).appId !== null) return loadApplication(deps, request, idOrUid, { cached: true });
    const existing = await store.getApplication(idOrUid);
    if (existing) return existing;
    const created = await store.createApplication({
      name: body.application.name,
      uid: body.application.uid ?? idOrUid,
      throttleRate: body.application.throttleRate ?? body.application.rateLimit ?? null,
      metadata: body.application.metadata ?? {},
      payloadRetentionPeriod: body.application.payloadRetentionPeriod ?? null,
    });
    if (created.ok) {
      deps.applications.forget();
      return created.value;
    }
    // Another request created it meanwhile.
    const raced = await store.getApplication(idOrUid);
    if (!raced) throw notFound();
    return raced;
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/app/:app_id/msg',
      {
        schema: {
          tags,
          operationId: 'v1.message.create',
          summary: 'Send a message to every endpoint subscribed to it',
          params: AppParams,
          querystring: Type.Object(WithContent),
          headers: IdempotencyHeaders,
          body: MessageIn,
          response: { 202: MessageOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const time = deps.now();
        let deliverAt: Date | null = null;
        if (body.deliverAt) {
          deliverAt = new Date(body.deliverAt);
          if (deliverAt.getTime() > time + MAX_DELIVER_AT_MS) throw invalid(['body', 'deliverAt'], 'must be within 90 days');
          if (deliverAt.getTime() <= time) deliverAt = null;
        }
        const application = await applicationFor(request, request.params.app_id, body);
        const retentionDays =
          body.payloadRetentionPeriod ??
          (body.payloadRetentionHours ? Math.ceil(body.payloadRetentionHours / 24) : (application.payloadRetentionPeriod ?? deps.config.retentionDays));
        const handoff = deps.deliveryHandoff?.(application.throttleRate) ?? undefined;
        let outcome;
        try {
          outcome = await store.createMessage(
            application.id,
            {
              eventType: body.eventType,
              eventId: body.eventId ?? null,
              channels: body.channels ?? null,
              tags: body.tags ?? null,
              payload: JSON.stringify(body.payload),
              payloadRetentionDays: retentionDays,
              deliverAt,
            },
            routeMessage,
            { handoff },
          );
        } finally {
          handoff?.settle(outcome?.ok ? outcome.value.leased : []);
        }
        const created = unwrap(outcome);
        // Deliveries handed off are on their way; only those left in the queue need a worker to claim them.
        if (created.deliveries.length > created.leased.length) deps.wakeDelivery();
        deps.metrics.messageAccepted('api');
        // The request's completion line carries the message id: the start of the message's trace in the logs.
        annotateLog(request, { msgId: created.message.id, appId: application.id, deliveries: created.deliveries.length });
        return reply
          .code(202)
          .type('application/json; charset=utf-8')
          .send(messageOutJson(created.message, request.query.with_content !== false) as unknown as MessageOut);
      },
    );

    app.get(
      '/app/:app_id/msg',
      {
        schema: {
          tags,
          operationId: 'v1.message.list',
          summary: 'List messages, newest first',
          params: AppParams,
          querystring: Type.Object({
            ...PaginationQuery,
            ...WithContent,
            ...TimeRangeQuery,
            channel: Type.Optional(Nullable(Channel)),
            event_types: EventTypesQuery,
            tag: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
          }),
          response: { 200: ListResponse(MessageOut, 'MessageOut'), ...errorResponses },
        },
      },
      async (request) => {
        const application = await loadApplication(deps, request, request.params.app_id);
        const query = request.query;
        const eventTypes = splitEventTypes(query.event_types);
        if (eventTypes === 'invalid') throw invalid(['query', 'event_types'], 'must be event type names');
        const page = await store.listMessages(
          application.id,
          { limit: query.limit ?? 50, iterator: query.iterator },
          { since: optionalDate(query.after), until: optionalDate(query.before), channel: query.channel ?? null, eventTypes },
        );
        const withContent = query.with_content !== false;
        return { ...page, data: page.data.map((message) => toMessageOut(message, withContent)) };
      },
    );

    app.get(
      '/app/:app_id/msg/:msg_id',
      {
        schema: {
          tags,
          operationId: 'v1.message.get',
          summary: 'Get a message by id or eventId',
          params: MessageParams,
          querystring: Type.Object(WithContent),
          response: { 200: MessageOut, ...errorResponses },
        },
      },
      async (request) => {
        const application = await loadApplication(deps, request, request.params.app_id);
        const message = await store.getMessage(application.id, request.params.msg_id);
        if (!message) throw notFound();
        return toMessageOut(message, request.query.with_content !== false);
      },
    );

    app.delete(
      '/app/:app_id/msg/:msg_id/content',
      {
        schema: {
          tags,
          operationId: 'v1.message.expunge-content',
          summary: "Delete a message's payload, keeping its metadata",
          params: MessageParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const application = await loadApplication(deps, request, request.params.app_id);
        const message = await store.getMessage(application.id, request.params.msg_id);
        if (!message) throw notFound();
        unwrap(await store.expungeMessageContent(application.id, message.id));
        return reply.code(204).send(null);
      },
    );
  };
}
