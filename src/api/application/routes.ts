import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApplicationInput } from '../../store/port.js';
import { expectedVersion, sendWithEtag } from '../conditional.js';
import { loadApplication, requireOrganisationAccess, type ApiDeps } from '../context.js';
import { unwrap } from '../outcomes.js';
import { IdOrUid, IdempotencyHeaders, ListResponse, NoContent, Ordering, PaginationQuery, Uid, errorResponses } from '../shared-schemas.js';
import { ApplicationIn, ApplicationOut, ApplicationPatch, toApplicationOut } from './schemas.js';

const AppParams = Type.Object({ app_id: IdOrUid });
const tags = ['Application'];

function toInput(body: ApplicationIn, uidFallback: string | null = null): ApplicationInput {
  return {
    name: body.name,
    uid: body.uid ?? uidFallback,
    throttleRate: body.throttleRate ?? body.rateLimit ?? null,
    metadata: body.metadata ?? {},
    payloadRetentionPeriod: body.payloadRetentionPeriod ?? null,
  };
}

export function applicationRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/app',
      {
        schema: {
          tags,
          operationId: 'v1.application.list',
          summary: 'List applications',
          querystring: Type.Object({ ...PaginationQuery, order: Type.Optional(Ordering) }),
          response: { 200: ListResponse(ApplicationOut, 'ApplicationOut'), ...errorResponses },
        },
      },
      async (request) => {
        requireOrganisationAccess(request);
        const { limit = 50, iterator, order } = request.query;
        const page = await store.listApplications({ limit, iterator, order });
        return { ...page, data: page.data.map(toApplicationOut) };
      },
    );

    app.post(
      '/app',
      {
        schema: {
          tags,
          operationId: 'v1.application.create',
          summary: 'Create an application',
          querystring: Type.Object({ get_if_exists: Type.Optional(Type.Boolean({ default: false })) }),
          headers: IdempotencyHeaders,
          body: ApplicationIn,
          response: { 200: ApplicationOut, 201: ApplicationOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        const body = request.body;
        if (request.query.get_if_exists && body.uid) {
          const existing = await store.getApplication(body.uid);
          if (existing) return reply.code(200).send(toApplicationOut(existing));
        }
        const created = unwrap(await store.createApplication(toInput(body)));
        deps.applications.forget();
        return reply.code(201).send(toApplicationOut(created));
      },
    );

    app.get(
      '/app/:app_id',
      {
        schema: {
          tags,
          operationId: 'v1.application.get',
          summary: 'Get an application',
          params: AppParams,
          response: { 200: ApplicationOut, 304: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const found = await loadApplication(deps, request, request.params.app_id);
        return sendWithEtag(request, reply, found, toApplicationOut(found));
      },
    );

    app.put(
      '/app/:app_id',
      {
        schema: {
          tags,
          operationId: 'v1.application.update',
          summary: 'Update an application, or create it with the path as its uid',
          params: Type.Object({ app_id: Uid }),
          body: ApplicationIn,
          response: { 200: ApplicationOut, 201: ApplicationOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const existing = request.principal?.appId ? await loadApplication(deps, request, request.params.app_id) : await store.getApplication(request.params.app_id);
        if (!existing) {
          requireOrganisationAccess(request);
          const created = unwrap(await store.createApplication(toInput(request.body, request.params.app_id)));
          deps.applications.forget();
          return reply.code(201).send(toApplicationOut(created));
        }
        const version = expectedVersion(request, existing);
        const updated = unwrap(await store.updateApplication(existing.id, toInput(request.body, existing.uid), version));
        deps.applications.forget();
        return sendWithEtag(request, reply.code(200), updated, toApplicationOut(updated));
      },
    );

    app.patch(
      '/app/:app_id',
      {
        schema: {
          tags,
          operationId: 'v1.application.patch',
          summary: 'Partially update an application',
          params: AppParams,
          body: ApplicationPatch,
          response: { 200: ApplicationOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const existing = await loadApplication(deps, request, request.params.app_id);
        const version = expectedVersion(request, existing);
        const patch = request.body;
        const rate = patch.throttleRate !== undefined ? patch.throttleRate : patch.rateLimit;
        const updated = unwrap(
          await store.updateApplication(
            existing.id,
            {
              name: patch.name ?? existing.name,
              uid: patch.uid !== undefined ? patch.uid : existing.uid,
              throttleRate: rate !== undefined ? rate : existing.throttleRate,
              metadata: patch.metadata ?? existing.metadata,
              payloadRetentionPeriod: patch.payloadRetentionPeriod !== undefined ? patch.payloadRetentionPeriod : existing.payloadRetentionPeriod,
            },
            version,
          ),
        );
        deps.applications.forget();
        return sendWithEtag(request, reply, updated, toApplicationOut(updated));
      },
    );

    app.delete(
      '/app/:app_id',
      {
        schema: {
          tags,
          operationId: 'v1.application.delete',
          summary: 'Delete an application and its endpoints',
          params: AppParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const existing = await loadApplication(deps, request, request.params.app_id);
        unwrap(await store.deleteApplication(existing.id, expectedVersion(request, existing)));
        deps.applications.forget();
        return reply.code(204).send(null);
      },
    );
  };
}
