import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { circuitState } from '../../delivery/circuit-breaker.js';
import { routeManually } from '../../delivery/routing.js';
import { generateEndpointSecret, normaliseEndpointSecret } from '../../delivery/signing.js';
import { AddressPolicy, refusedLiteralUrl } from '../../delivery/ssrf.js';
import { DeliveryStatus, type Endpoint, type EndpointInput } from '../../store/port.js';
import { expectedVersion, sendWithEtag } from '../conditional.js';
import { loadApplication, type ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { EventTypesQuery, TimeRangeQuery, optionalDate, splitEventTypes } from '../list-filters.js';
import { unwrap } from '../outcomes.js';
import { MessageOut, toMessageOut } from '../message/schemas.js';
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
  Ordering,
  PaginationQuery,
  Uid,
  errorResponses,
  iso,
  statusTextOf,
} from '../shared-schemas.js';
import { assertAllowedHeaders, redactHeaders } from './headers.js';
import {
  EndpointHeadersIn,
  EndpointHeadersOut,
  EndpointHeadersPatchIn,
  EndpointHealthOut,
  EndpointIn,
  EndpointOut,
  EndpointPatch,
  EndpointSecretOut,
  EndpointSecretRotateIn,
  EndpointStats,
  EndpointUpdate,
  EventExampleIn,
  RecoverIn,
  RecoverOut,
  toEndpointHealthOut,
  toEndpointOut,
} from './schemas.js';

/**
 * Who a set of endpoints belongs to: an application (the Svix API), or an inbound source whose destinations they are
 * (the Ingest API). Both share one implementation; a source's endpoints have the Ingest API's smaller set of
 * operations.
 */
export interface EndpointScope {
  /** The owner's part of the path, with its parameter. */
  path: string;
  param: string;
  operationPrefix: string;
  tags: string[];
  /** Patch, stats, recovery, send-example and the attempted-messages list, which only applications' endpoints have. */
  full: boolean;
  /** Resolves the owner named in the path (id or uid), enforcing the caller's access; 404 when there is none. */
  load(request: FastifyRequest, idOrUid: string): Promise<{ id: string }>;
}

export function applicationEndpointScope(deps: ApiDeps): EndpointScope {
  return {
    path: '/app/:app_id',
    param: 'app_id',
    operationPrefix: 'v1.endpoint',
    tags: ['Endpoint'],
    full: true,
    load: (request, idOrUid) => loadApplication(deps, request, idOrUid),
  };
}
/** Svix refuses recoveries reaching further back than its retention of attempts, two weeks. */
const MAX_RECOVER_AGE_MS = 14 * 86_400_000;

const EndpointOutWithHealth = Type.Object({ ...EndpointOut.properties, health: Type.Optional(EndpointHealthOut) }, { title: 'EndpointOut' });

const EndpointMessageOut = Type.Object(
  {
    ...MessageOut.properties,
    status: MessageStatus,
    statusText: MessageStatusText,
    nextAttempt: Nullable(DateTime),
  },
  { title: 'EndpointMessageOut' },
);

type AnyEndpointBody = { eventTypes?: string[] | null; filterTypes?: string[] | null; throttleRate?: number | null; rateLimit?: number | null };

function pick<T>(primary: T | undefined, alias: T | undefined): T | undefined {
  return primary !== undefined ? primary : alias;
}

export function endpointRoutes(deps: ApiDeps, scope: EndpointScope = applicationEndpointScope(deps)): FastifyPluginAsync {
  const { store } = deps;
  const { tags } = scope;
  const AppParams = Type.Object({ [scope.param]: IdOrUid });
  const EndpointParams = Type.Object({ [scope.param]: IdOrUid, endpoint_id: IdOrUid });
  const ownerOf = (params: Record<string, string>) => params[scope.param]!;
  const policy = new AddressPolicy(deps.config.allowPrivateNetworks);
  const breaker = { threshold: deps.config.circuitBreakerThreshold, cooldownMs: deps.config.circuitBreakerCooldownMs };

  function checkUrl(url: string): void {
    const reason = refusedLiteralUrl(url, policy);
    if (reason) throw invalid(['body', 'url'], reason, 'value_error.url');
  }

  function filterTypesOf(body: AnyEndpointBody) {
    return pick(body.eventTypes, body.filterTypes);
  }

  function rateOf(body: AnyEndpointBody) {
    return pick(body.throttleRate, body.rateLimit);
  }

  async function loadEndpoint(request: FastifyRequest, ownerIdOrUid: string, endpointIdOrUid: string): Promise<{ owner: { id: string }; endpoint: Endpoint }> {
    const owner = await scope.load(request, ownerIdOrUid);
    const endpoint = await store.getEndpoint(owner.id, endpointIdOrUid);
    if (!endpoint) throw notFound();
    return { owner, endpoint };
  }

  async function healthOf(endpoint: Endpoint) {
    const health = await store.getEndpointHealth(endpoint.appId, endpoint.id);
    return toEndpointHealthOut(health, circuitState(health, breaker, deps.now()));
  }

  function inputFrom(body: EndpointUpdate, existing: Endpoint | null, uidFallback: string | null): EndpointInput {
    return {
      uid: body.uid !== undefined ? body.uid : (existing?.uid ?? uidFallback),
      url: body.url,
      description: body.description ?? '',
      disabled: body.disabled ?? false,
      eventTypes: filterTypesOf(body) ?? null,
      channels: body.channels ?? null,
      throttleRate: rateOf(body) ?? null,
      metadata: body.metadata ?? {},
      headers: existing?.headers ?? {},
      retrySchedule: body.retrySchedule ?? null,
    };
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      `${scope.path}/endpoint`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.list`,
          summary: "List endpoints",
          params: AppParams,
          querystring: Type.Object({ ...PaginationQuery, order: Type.Optional(Ordering) }),
          response: { 200: ListResponse(EndpointOut, 'EndpointOut'), ...errorResponses },
        },
      },
      async (request) => {
        const owner = await scope.load(request, ownerOf(request.params));
        const { limit = 50, iterator, order } = request.query;
        const page = await store.listEndpoints(owner.id, { limit, iterator, order });
        return { ...page, data: page.data.map(toEndpointOut) };
      },
    );

    app.post(
      `${scope.path}/endpoint`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.create`,
          summary: 'Create an endpoint',
          params: AppParams,
          headers: IdempotencyHeaders,
          body: EndpointIn,
          response: { 201: EndpointOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const owner = await scope.load(request, ownerOf(request.params));
        const body = request.body;
        checkUrl(body.url);
        if (body.headers) assertAllowedHeaders(body.headers, ['body', 'headers']);
        const created = unwrap(
          await store.createEndpoint(owner.id, {
            ...inputFrom(body, null, null),
            headers: body.headers ?? {},
            secret: body.secret ? normaliseEndpointSecret(body.secret) : generateEndpointSecret(),
          }),
        );
        return reply.code(201).send(toEndpointOut(created));
      },
    );

    app.get(
      `${scope.path}/endpoint/:endpoint_id`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.get`,
          summary: 'Get an endpoint, with its delivery health (extension)',
          params: EndpointParams,
          response: { 200: EndpointOutWithHealth, 304: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        return sendWithEtag(request, reply, endpoint, { ...toEndpointOut(endpoint), health: await healthOf(endpoint) });
      },
    );

    app.put(
      `${scope.path}/endpoint/:endpoint_id`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.update`,
          summary: 'Replace an endpoint, or create it with the path as its uid',
          params: Type.Object({ [scope.param]: IdOrUid, endpoint_id: Uid }),
          body: EndpointUpdate,
          response: { 200: EndpointOut, 201: EndpointOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const owner = await scope.load(request, ownerOf(request.params));
        checkUrl(request.body.url);
        const existing = await store.getEndpoint(owner.id, request.params.endpoint_id);
        if (!existing) {
          const created = unwrap(
            await store.createEndpoint(owner.id, { ...inputFrom(request.body, null, request.params.endpoint_id), secret: generateEndpointSecret() }),
          );
          return reply.code(201).send(toEndpointOut(created));
        }
        const version = expectedVersion(request, existing);
        const updated = unwrap(await store.updateEndpoint(owner.id, existing.id, inputFrom(request.body, existing, null), version));
        return sendWithEtag(request, reply, updated, toEndpointOut(updated));
      },
    );

    if (scope.full) app.patch(
      `${scope.path}/endpoint/:endpoint_id`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.patch`,
          summary: 'Partially update an endpoint',
          params: EndpointParams,
          body: EndpointPatch,
          response: { 200: EndpointOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const version = expectedVersion(request, endpoint);
        const patch = request.body;
        if (patch.url !== undefined) checkUrl(patch.url);
        const types = filterTypesOf(patch);
        const rate = rateOf(patch);
        let updated = unwrap(
          await store.updateEndpoint(
            owner.id,
            endpoint.id,
            {
              uid: patch.uid !== undefined ? patch.uid : endpoint.uid,
              url: patch.url ?? endpoint.url,
              description: patch.description ?? endpoint.description,
              disabled: patch.disabled ?? endpoint.disabled,
              eventTypes: types !== undefined ? types : endpoint.eventTypes,
              channels: patch.channels !== undefined ? patch.channels : endpoint.channels,
              throttleRate: rate !== undefined ? rate : endpoint.throttleRate,
              metadata: patch.metadata ?? endpoint.metadata,
              headers: endpoint.headers,
              retrySchedule: patch.retrySchedule !== undefined ? patch.retrySchedule : endpoint.retrySchedule,
            },
            version,
          ),
        );
        if (patch.secret) {
          // A secret given in a patch replaces the current one at once, as in Svix.
          updated = unwrap(await store.rotateEndpointSecret(owner.id, endpoint.id, normaliseEndpointSecret(patch.secret), new Date(deps.now())));
        }
        return sendWithEtag(request, reply, updated, toEndpointOut(updated));
      },
    );

    app.delete(
      `${scope.path}/endpoint/:endpoint_id`,
      {
        schema: { tags, operationId: `${scope.operationPrefix}.delete`, summary: 'Delete an endpoint', params: EndpointParams, response: { 204: NoContent, ...errorResponses } },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        unwrap(await store.deleteEndpoint(owner.id, endpoint.id, expectedVersion(request, endpoint)));
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${scope.path}/endpoint/:endpoint_id/headers`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.get-headers`,
          summary: "Get an endpoint's custom headers; credential-like values are withheld",
          params: EndpointParams,
          response: { 200: EndpointHeadersOut, ...errorResponses },
        },
      },
      async (request) => {
        const { endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        return redactHeaders(endpoint.headers);
      },
    );

    app.put(
      `${scope.path}/endpoint/:endpoint_id/headers`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.update-headers`,
          summary: "Replace an endpoint's custom headers",
          params: EndpointParams,
          body: EndpointHeadersIn,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        assertAllowedHeaders(request.body.headers, ['body', 'headers']);
        unwrap(await store.updateEndpoint(owner.id, endpoint.id, { ...endpoint, headers: request.body.headers }, expectedVersion(request, endpoint)));
        return reply.code(204).send(null);
      },
    );

    if (scope.full) app.patch(
      `${scope.path}/endpoint/:endpoint_id/headers`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.patch-headers`,
          summary: "Add, change or (with null) remove some of an endpoint's custom headers",
          params: EndpointParams,
          body: EndpointHeadersPatchIn,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        assertAllowedHeaders(request.body.headers, ['body', 'headers']);
        const headers = { ...endpoint.headers };
        for (const [name, value] of Object.entries(request.body.headers)) {
          for (const existing of Object.keys(headers)) if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
          if (value !== null) headers[name] = value;
        }
        unwrap(await store.updateEndpoint(owner.id, endpoint.id, { ...endpoint, headers }, expectedVersion(request, endpoint)));
        return reply.code(204).send(null);
      },
    );

    app.get(
      `${scope.path}/endpoint/:endpoint_id/secret`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.get-secret`,
          summary: "Get the endpoint's current signing secret",
          params: EndpointParams,
          response: { 200: EndpointSecretOut, ...errorResponses },
        },
      },
      async (request) => {
        const { endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        return { key: endpoint.secrets[0]!.key };
      },
    );

    app.post(
      `${scope.path}/endpoint/:endpoint_id/secret/rotate`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.rotate-secret`,
          summary: 'Rotate the signing secret; the old one keeps signing too during the grace period',
          params: EndpointParams,
          headers: IdempotencyHeaders,
          body: EndpointSecretRotateIn,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const grace = request.body.gracePeriodSeconds ?? 86400;
        const key = request.body.key ? normaliseEndpointSecret(request.body.key) : generateEndpointSecret();
        unwrap(await store.rotateEndpointSecret(owner.id, endpoint.id, key, new Date(deps.now() + grace * 1000)));
        return reply.code(204).send(null);
      },
    );

    if (scope.full) app.post(
      `${scope.path}/endpoint/:endpoint_id/recover`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.recover`,
          summary: 'Resend every failed delivery to this endpoint since a time, in the background',
          params: EndpointParams,
          headers: IdempotencyHeaders,
          body: RecoverIn,
          response: { 202: RecoverOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const time = deps.now();
        const since = new Date(request.body.since);
        const until = request.body.until ? new Date(request.body.until) : null;
        if (since.getTime() > time) throw invalid(['body', 'since'], 'must not be in the future');
        if (since.getTime() < time - MAX_RECOVER_AGE_MS) throw invalid(['body', 'since'], 'must be within the last 14 days');
        if (until && until.getTime() < since.getTime()) throw invalid(['body', 'until'], 'must not be before since');
        const task = await store.createBackgroundTask({
          kind: 'endpoint.recover',
          appId: owner.id,
          endpointId: endpoint.id,
          params: { since: since.toISOString(), until: until?.toISOString() ?? null },
        });
        deps.startTask(task.id);
        return reply.code(202).send({ id: task.id, status: 'running', task: 'endpoint.recover', updatedAt: iso(task.updatedAt) });
      },
    );

    if (scope.full) app.post(
      `${scope.path}/endpoint/:endpoint_id/send-example`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.send-example`,
          summary: "Send an example of an event type to this endpoint only (payload from the event type's schema examples)",
          params: EndpointParams,
          headers: IdempotencyHeaders,
          body: EventExampleIn,
          response: { 200: MessageOut, ...errorResponses },
        },
      },
      async (request) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const eventType = await store.getEventType(request.body.eventType);
        if (!eventType || eventType.archived) throw notFound(`Event type ${JSON.stringify(request.body.eventType)} not found`);
        const created = unwrap(
          await store.createMessage(
            owner.id,
            {
              eventType: eventType.name,
              eventId: null,
              channels: null,
              tags: null,
              payload: JSON.stringify(examplePayload(eventType.name, eventType.schemas)),
              payloadRetentionDays: 90,
              deliverAt: null,
            },
            routeManually,
            { onlyEndpointId: endpoint.id },
          ),
        );
        deps.wakeDelivery();
        return toMessageOut(created.message, true);
      },
    );

    if (scope.full) app.get(
      `${scope.path}/endpoint/:endpoint_id/stats`,
      {
        schema: {
          tags,
          operationId: `${scope.operationPrefix}.get-stats`,
          summary: "Counts of the endpoint's deliveries by status, and its health (extension)",
          params: EndpointParams,
          querystring: Type.Object({ since: Type.Optional(Nullable(DateTime)), until: Type.Optional(Nullable(DateTime)) }),
          response: { 200: EndpointStats, ...errorResponses },
        },
      },
      async (request) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const range = { since: optionalDate(request.query.since), until: optionalDate(request.query.until) };
        const [stats, attemptLatency, health] = await Promise.all([
          store.endpointStats(owner.id, endpoint.id, range),
          store.attemptLatency(range, { appId: owner.id, endpointId: endpoint.id }),
          healthOf(endpoint),
        ]);
        return { ...stats, health, attemptLatency };
      },
    );

    if (scope.full) app.get(
      `${scope.path}/endpoint/:endpoint_id/msg`,
      {
        schema: {
          tags: ['Message Attempt'],
          operationId: 'v1.message-attempt.list-attempted-messages',
          summary: 'Messages routed to this endpoint, with their delivery status, newest first',
          params: EndpointParams,
          querystring: Type.Object({
            ...PaginationQuery,
            ...TimeRangeQuery,
            channel: Type.Optional(Nullable(Channel)),
            status: Type.Optional(Nullable(MessageStatus)),
            with_content: Type.Optional(Type.Boolean({ default: true })),
            event_types: EventTypesQuery,
            tag: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
          }),
          response: { 200: ListResponse(EndpointMessageOut, 'EndpointMessageOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { owner, endpoint } = await loadEndpoint(request, ownerOf(request.params), request.params.endpoint_id);
        const query = request.query;
        const eventTypes = splitEventTypes(query.event_types);
        if (eventTypes === 'invalid') throw invalid(['query', 'event_types'], 'must be event type names');
        const page = await store.listEndpointMessages(
          owner.id,
          endpoint.id,
          { limit: query.limit ?? 50, iterator: query.iterator },
          {
            since: optionalDate(query.after),
            until: optionalDate(query.before),
            channel: query.channel ?? null,
            eventTypes,
            status: (query.status ?? null) as DeliveryStatus | null,
          },
        );
        const withContent = query.with_content !== false;
        return {
          ...page,
          data: page.data.map(({ message, delivery }) => ({
            ...toMessageOut(message, withContent),
            status: delivery.status as 0 | 1 | 2 | 3,
            statusText: statusTextOf(delivery.status),
            nextAttempt: delivery.nextAttemptAt && delivery.status === DeliveryStatus.pending ? iso(delivery.nextAttemptAt) : null,
          })),
        };
      },
    );
  };
}

/** The first example an event type's JSON Schemas carry (newest version first), else a marker payload. */
export function examplePayload(eventType: string, schemas: Record<string, unknown> | null): Record<string, unknown> {
  const versions = Object.keys(schemas ?? {}).sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  for (const version of versions) {
    const schema = schemas?.[version] as { examples?: unknown[]; example?: unknown } | undefined;
    const example = schema?.examples?.[0] ?? schema?.example;
    if (example !== null && typeof example === 'object' && !Array.isArray(example)) return example as Record<string, unknown>;
  }
  return { eventType, example: true };
}
