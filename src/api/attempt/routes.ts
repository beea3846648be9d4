import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DeliveryStatus, type AttemptFilter } from '../../store/port.js';
import { loadApplication, type ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { EventTypesQuery, TimeRangeQuery, optionalDate, splitEventTypes } from '../list-filters.js';
import { unwrap } from '../outcomes.js';
import { EndpointOut, toEndpointOut } from '../endpoint/schemas.js';
import {
  Channel,
  DateTime,
  IdOrUid,
  IdempotencyHeaders,
  ListResponse,
  MessageStatus,
  MessageStatusText,
  NoContent,
  Nullable,
  PaginationQuery,
  errorResponses,
  iso,
  statusTextOf,
} from '../shared-schemas.js';
import { MessageAttemptOut, toAttemptOut } from './schemas.js';

const tags = ['Message Attempt'];
const StatusCodeClass = Type.Union([0, 100, 200, 300, 400, 500].map((n) => Type.Literal(n)), {
  description: 'The class of HTTP status code: 0 = no response, 100, 200, 300, 400, 500',
});

const attemptQuery = {
  ...PaginationQuery,
  ...TimeRangeQuery,
  status: Type.Optional(Nullable(MessageStatus)),
  status_code_class: Type.Optional(Nullable(StatusCodeClass)),
  channel: Type.Optional(Nullable(Channel)),
  with_content: Type.Optional(Type.Boolean({ default: true })),
  event_types: EventTypesQuery,
  tag: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
};

const MessageEndpointOut = Type.Object(
  { ...EndpointOut.properties, status: MessageStatus, statusText: MessageStatusText, nextAttempt: Nullable(DateTime) },
  { title: 'MessageEndpointOut' },
);

type AttemptQuery = {
  before?: string | null;
  after?: string | null;
  status?: number | null;
  status_code_class?: number | null;
  channel?: string | null;
  event_types?: string[];
};

function filterFrom(query: AttemptQuery): AttemptFilter {
  const eventTypes = splitEventTypes(query.event_types);
  if (eventTypes === 'invalid') throw invalid(['query', 'event_types'], 'must be event type names');
  return {
    since: optionalDate(query.after),
    until: optionalDate(query.before),
    status: (query.status ?? null) as DeliveryStatus | null,
    statusCodeClass: query.status_code_class ?? null,
    channel: query.channel ?? null,
    eventTypes,
  };
}

export function attemptRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;

  async function loadMessage(request: FastifyRequest, appIdOrUid: string, msgIdOrEventId: string) {
    const app = await loadApplication(deps, request, appIdOrUid);
    const message = await store.getMessage(app.id, msgIdOrEventId);
    if (!message) throw notFound();
    return { app, message };
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/app/:app_id/attempt/endpoint/:endpoint_id',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.list-by-endpoint',
          summary: "An endpoint's delivery attempts, newest first",
          params: Type.Object({ app_id: IdOrUid, endpoint_id: IdOrUid }),
          querystring: Type.Object(attemptQuery),
          response: { 200: ListResponse(MessageAttemptOut, 'MessageAttemptOut'), ...errorResponses },
        },
      },
      async (request) => {
        const application = await loadApplication(deps, request, request.params.app_id);
        const endpoint = await store.getEndpoint(application.id, request.params.endpoint_id);
        if (!endpoint) throw notFound();
        const page = await store.listAttemptsByEndpoint(application.id, endpoint.id, { limit: request.query.limit ?? 50, iterator: request.query.iterator }, filterFrom(request.query));
        const withContent = request.query.with_content !== false;
        return { ...page, data: page.data.map((attempt) => toAttemptOut(attempt, withContent)) };
      },
    );

    app.get(
      '/app/:app_id/attempt/msg/:msg_id',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.list-by-msg',
          summary: "A message's delivery attempts, newest first",
          params: Type.Object({ app_id: IdOrUid, msg_id: IdOrUid }),
          querystring: Type.Object({ ...attemptQuery, endpoint_id: Type.Optional(Nullable(IdOrUid)) }),
          response: { 200: ListResponse(MessageAttemptOut, 'MessageAttemptOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { app: application, message } = await loadMessage(request, request.params.app_id, request.params.msg_id);
        const filter = filterFrom(request.query);
        if (request.query.endpoint_id) {
          const endpoint = await store.getEndpoint(application.id, request.query.endpoint_id);
          if (!endpoint) throw notFound();
          filter.endpointId = endpoint.id;
        }
        const page = await store.listAttemptsByMessage(application.id, message.id, { limit: request.query.limit ?? 50, iterator: request.query.iterator }, filter);
        const withContent = request.query.with_content !== false;
        return { ...page, data: page.data.map((attempt) => toAttemptOut(attempt, withContent)) };
      },
    );

    app.get(
      '/app/:app_id/msg/:msg_id/attempt/:attempt_id',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.get',
          summary: 'Get one delivery attempt',
          params: Type.Object({ app_id: IdOrUid, msg_id: IdOrUid, attempt_id: IdOrUid }),
          response: { 200: MessageAttemptOut, ...errorResponses },
        },
      },
      async (request) => {
        const { app: application, message } = await loadMessage(request, request.params.app_id, request.params.msg_id);
        const attempt = await store.getAttempt(application.id, message.id, request.params.attempt_id);
        if (!attempt) throw notFound();
        return toAttemptOut(attempt);
      },
    );

    app.delete(
      '/app/:app_id/msg/:msg_id/attempt/:attempt_id/content',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.expunge-content',
          summary: "Delete an attempt's stored response body",
          params: Type.Object({ app_id: IdOrUid, msg_id: IdOrUid, attempt_id: IdOrUid }),
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { app: application, message } = await loadMessage(request, request.params.app_id, request.params.msg_id);
        unwrap(await store.expungeAttemptContent(application.id, message.id, request.params.attempt_id));
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/app/:app_id/msg/:msg_id/endpoint',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.list-attempted-destinations',
          summary: 'Endpoints a message was routed to, with their delivery status',
          params: Type.Object({ app_id: IdOrUid, msg_id: IdOrUid }),
          querystring: Type.Object(PaginationQuery),
          response: { 200: ListResponse(MessageEndpointOut, 'MessageEndpointOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { app: application, message } = await loadMessage(request, request.params.app_id, request.params.msg_id);
        const page = await store.listMessageDestinations(application.id, message.id, { limit: request.query.limit ?? 50, iterator: request.query.iterator });
        return {
          ...page,
          data: page.data.map(({ endpoint, delivery }) => ({
            ...toEndpointOut(endpoint),
            status: delivery.status as 0 | 1 | 2 | 3,
            statusText: statusTextOf(delivery.status),
            nextAttempt: delivery.nextAttemptAt && delivery.status === DeliveryStatus.pending ? iso(delivery.nextAttemptAt) : null,
          })),
        };
      },
    );

    app.post(
      '/app/:app_id/msg/:msg_id/endpoint/:endpoint_id/resend',
      {
        schema: {
          tags,
          operationId: 'v1.message-attempt.resend',
          summary: 'Send a message to one endpoint again, now',
          params: Type.Object({ app_id: IdOrUid, msg_id: IdOrUid, endpoint_id: IdOrUid }),
          headers: IdempotencyHeaders,
          response: { 202: Type.Object({}, { title: 'EmptyResponse' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { app: application, message } = await loadMessage(request, request.params.app_id, request.params.msg_id);
        const endpoint = await store.getEndpoint(application.id, request.params.endpoint_id);
        if (!endpoint) throw notFound();
        unwrap(await store.resendMessage(application.id, message.id, endpoint.id));
        deps.wakeDelivery();
        return reply.code(202).send({});
      },
    );
  };
}
