import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import { Type } from 'typebox';
import type { EventType, EventTypeInput } from '../../store/port.js';
import { expectedVersion, sendWithEtag } from '../conditional.js';
import { requireOrganisationAccess, type ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { unwrap } from '../outcomes.js';
import { EventTypeName, IdempotencyHeaders, ListResponse, NoContent, Nullable, Ordering, PaginationQuery, errorResponses } from '../shared-schemas.js';
import { EventTypeIn, EventTypeOut, EventTypePatch, EventTypeUpdate, toEventTypeOut } from './schemas.js';

const tags = ['Event Type'];
const NameParams = Type.Object({ event_type_name: EventTypeName });
/** Only used to check that a submitted schema is a valid JSON Schema; never to validate payloads here. */
const schemaChecker = new Ajv({ strict: false, allErrors: false, validateFormats: false });

function checkSchemas(schemas: Record<string, unknown> | null | undefined): void {
  for (const [version, schema] of Object.entries(schemas ?? {})) {
    try {
      schemaChecker.compile(schema as object);
    } catch (error) {
      throw invalid(['body', 'schemas', version], `not a valid JSON Schema: ${(error as Error).message}`);
    }
  }
}

function toInput(name: string, body: EventTypeUpdate): EventTypeInput {
  return {
    name,
    description: body.description,
    archived: body.archived ?? false,
    deprecated: body.deprecated ?? false,
    featureFlag: body.featureFlag ?? body.featureFlags?.[0] ?? null,
    schemas: (body.schemas ?? null) as Record<string, unknown> | null,
  };
}

/** ETags need an id; an event type's name is its id. */
const tagged = (eventType: EventType) => ({ id: `et:${eventType.name}`, version: eventType.version });

export function eventTypeRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;

  async function load(name: string): Promise<EventType> {
    const eventType = await store.getEventType(name);
    if (!eventType) throw notFound();
    return eventType;
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/event-type',
      {
        schema: {
          tags,
          operationId: 'v1.event-type.list',
          summary: 'List event types',
          querystring: Type.Object({
            ...PaginationQuery,
            order: Type.Optional(Nullable(Ordering)),
            include_archived: Type.Optional(Type.Boolean({ default: false })),
            with_content: Type.Optional(Type.Boolean({ default: false })),
          }),
          response: { 200: ListResponse(EventTypeOut, 'EventTypeOut'), ...errorResponses },
        },
      },
      async (request) => {
        const query = request.query;
        const page = await store.listEventTypes({
          limit: query.limit ?? 50,
          iterator: query.iterator,
          order: query.order ?? undefined,
          includeArchived: query.include_archived === true,
        });
        return { ...page, data: page.data.map((eventType) => toEventTypeOut(eventType, query.with_content === true)) };
      },
    );

    app.post(
      '/event-type',
      {
        schema: {
          tags,
          operationId: 'v1.event-type.create',
          summary: 'Create an event type',
          headers: IdempotencyHeaders,
          body: EventTypeIn,
          response: { 201: EventTypeOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        checkSchemas(request.body.schemas);
        const created = unwrap(await store.createEventType(toInput(request.body.name, request.body)));
        return reply.code(201).send(toEventTypeOut(created));
      },
    );

    app.get(
      '/event-type/:event_type_name',
      {
        schema: { tags, operationId: 'v1.event-type.get', summary: 'Get an event type', params: NameParams, response: { 200: EventTypeOut, 304: NoContent, ...errorResponses } },
      },
      async (request, reply) => {
        const eventType = await load(request.params.event_type_name);
        return sendWithEtag(request, reply, tagged(eventType), toEventTypeOut(eventType));
      },
    );

    app.put(
      '/event-type/:event_type_name',
      {
        schema: {
          tags,
          operationId: 'v1.event-type.update',
          summary: 'Replace an event type, or create it',
          params: NameParams,
          body: EventTypeUpdate,
          response: { 200: EventTypeOut, 201: EventTypeOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        checkSchemas(request.body.schemas);
        const name = request.params.event_type_name;
        const existing = await store.getEventType(name);
        if (!existing) {
          const created = unwrap(await store.createEventType(toInput(name, request.body)));
          return reply.code(201).send(toEventTypeOut(created));
        }
        const updated = unwrap(await store.updateEventType(name, toInput(name, request.body), expectedVersion(request, tagged(existing))));
        return sendWithEtag(request, reply, tagged(updated), toEventTypeOut(updated));
      },
    );

    app.patch(
      '/event-type/:event_type_name',
      {
        schema: {
          tags,
          operationId: 'v1.event-type.patch',
          summary: 'Partially update an event type',
          params: NameParams,
          body: EventTypePatch,
          response: { 200: EventTypeOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        const existing = await load(request.params.event_type_name);
        const version = expectedVersion(request, tagged(existing));
        const patch = request.body;
        checkSchemas(patch.schemas);
        const featureFlag = patch.featureFlag !== undefined ? patch.featureFlag : patch.featureFlags !== undefined ? (patch.featureFlags?.[0] ?? null) : existing.featureFlag;
        const updated = unwrap(
          await store.updateEventType(
            existing.name,
            {
              name: existing.name,
              description: patch.description ?? existing.description,
              archived: patch.archived ?? existing.archived,
              deprecated: patch.deprecated ?? existing.deprecated,
              featureFlag,
              schemas: patch.schemas !== undefined ? (patch.schemas as Record<string, unknown> | null) : existing.schemas,
            },
            version,
          ),
        );
        return sendWithEtag(request, reply, tagged(updated), toEventTypeOut(updated));
      },
    );

    app.delete(
      '/event-type/:event_type_name',
      {
        schema: {
          tags,
          operationId: 'v1.event-type.delete',
          summary: 'Archive an event type (or delete it with expunge=true)',
          params: NameParams,
          querystring: Type.Object({ expunge: Type.Optional(Type.Boolean({ default: false })) }),
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        const existing = await load(request.params.event_type_name);
        unwrap(await store.deleteEventType(existing.name, request.query.expunge === true, expectedVersion(request, tagged(existing))));
        return reply.code(204).send(null);
      },
    );
  };
}
