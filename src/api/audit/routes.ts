import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiDeps } from '../context.js';
import { TimeRangeQuery, optionalDate } from '../list-filters.js';
import { DateTime, ListResponse, Nullable, Ordering, PaginationQuery, errorResponses, iso } from '../shared-schemas.js';

const Outcome = Type.Union([Type.Literal('success'), Type.Literal('denied'), Type.Literal('unauthenticated')]);

const AuditEntryOut = Type.Object(
  {
    id: Type.String(),
    at: DateTime,
    actorId: Nullable(Type.String({ description: 'The credential that acted (token, key or OAuth client id)' })),
    actorKind: Nullable(Type.String()),
    action: Type.String({ description: 'The operation id, e.g. v1.endpoint.create' }),
    method: Type.String(),
    path: Type.String(),
    statusCode: Type.Integer(),
    outcome: Type.String(),
    appId: Nullable(Type.String()),
    ip: Type.String(),
    requestId: Type.String(),
  },
  { title: 'AuditEntryOut' },
);

/** Extension: the audit log of management changes and failed credential uses, newest first. */
export function auditRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/audit',
      {
        schema: {
          tags: ['Audit'],
          operationId: 'v1.audit.list',
          summary: 'List audit entries: who changed what, when, from where; and every refused credential',
          querystring: Type.Object({
            ...PaginationQuery,
            ...TimeRangeQuery,
            order: Type.Optional(Ordering),
            actor: Type.Optional(Type.String({ maxLength: 64 })),
            action: Type.Optional(Type.String({ maxLength: 128 })),
            outcome: Type.Optional(Outcome),
          }),
          response: { 200: ListResponse(AuditEntryOut, 'AuditEntryOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { limit = 50, iterator, order, actor, action, outcome, after, before } = request.query;
        const page = await deps.store.listAudit(
          { limit, iterator, order },
          { actorId: actor ?? null, action: action ?? null, outcome: outcome ?? null, since: optionalDate(after), until: optionalDate(before) },
        );
        return { ...page, data: page.data.map((entry) => ({ ...entry, at: iso(entry.at) })) };
      },
    );
  };
}
