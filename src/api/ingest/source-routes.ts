import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { Type } from 'typebox';
import { randomToken } from '../../core/ids.js';
import { configSchemaFor, secretFields } from '../../inbound/verification/index.js';
import { schemaProblem } from '../../inbound/payload-schemas.js';
import type { Source, SourceInput } from '../../store/port.js';
import { absentBodyAsEmpty } from '../json-body.js';
import { expectedVersion, sendWithEtag } from '../conditional.js';
import { requireOrganisationAccess, type ApiDeps } from '../context.js';
import { ValidationFailed, invalid, notFound } from '../errors.js';
import { unwrap } from '../outcomes.js';
import type { EndpointScope } from '../endpoint/routes.js';
import { IdOrUid, IdempotencyHeaders, ListResponse, NoContent, Ordering, PaginationQuery, errorResponses } from '../shared-schemas.js';
import { RotateTokenIn, RotateTokenOut, SourceIn, SourceOut, toSourceOut } from './schemas.js';

const tags = ['Ingest Source'];
const SourceParams = Type.Object({ source_id: IdOrUid });
const DEFAULT_DEDUP_WINDOW_SECONDS = 7 * 86400;
const DEFAULT_TOKEN_GRACE_SECONDS = 86400;

/** Each type's config schema, compiled once; only used to check what a user submits. */
const configChecker = new Ajv({ allErrors: true, strict: false });
const configValidators = new Map<string, ValidateFunction>();

function checkConfig(type: string, config: Record<string, unknown>): void {
  let validate = configValidators.get(type);
  if (!validate) {
    const schema = configSchemaFor(type);
    if (!schema) throw invalid(['body', 'type'], `unknown source type ${type}`);
    validate = configChecker.compile(schema);
    configValidators.set(type, validate);
  }
  if (validate(config)) return;
  throw new ValidationFailed(
    (validate.errors ?? []).map((error) => ({
      loc: ['body', 'config', ...error.instancePath.split('/').filter(Boolean), ...(error.keyword === 'required' ? [String(error.params.missingProperty)] : [])],
      msg: error.message ?? error.keyword,
      type: `value_error.${error.keyword}`,
    })),
  );
}

/** A source's ingest URL: the public URL when configured (behind a proxy), else the origin the caller used. */
export function ingestUrlOf(deps: ApiDeps, request: FastifyRequest, source: Source): string {
  const base = deps.config.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
  return `${base}/in/${source.token}`;
}

/** Sources are organisation-wide: a credential confined to one application cannot see or manage them. */
export async function loadSource(deps: ApiDeps, request: FastifyRequest, idOrUid: string): Promise<Source> {
  requireOrganisationAccess(request);
  const source = await deps.store.getSource(idOrUid);
  if (!source) throw notFound();
  return source;
}

/**
 * Turns a submitted source into the stored shape. Secret fields are write-only, so a replacement that leaves one out
 * (a client that read the source and sent it back) keeps the stored value rather than erase it.
 */
function toInput(body: SourceIn, existing: Source | null, uidFallback: string | null = null): SourceInput {
  const config: Record<string, unknown> = { ...(body.config ?? {}) };
  if (existing && existing.type === body.type) {
    for (const name of secretFields(body.type)) if (config[name] === undefined && existing.config[name] !== undefined) config[name] = existing.config[name];
  }
  checkConfig(body.type, config);
  for (const [eventType, schema] of Object.entries(body.schemas ?? {})) {
    const problem = schemaProblem(schema);
    if (problem) throw invalid(['body', 'schemas', eventType], `not a valid JSON Schema: ${problem}`);
  }
  return {
    uid: body.uid !== undefined ? body.uid : (existing?.uid ?? uidFallback),
    name: body.name,
    type: body.type,
    config,
    dedup: {
      windowSeconds: body.dedup?.windowSeconds ?? existing?.dedup.windowSeconds ?? DEFAULT_DEDUP_WINDOW_SECONDS,
      jsonPath: body.dedup?.jsonPath ?? null,
      header: body.dedup?.header?.toLowerCase() ?? null,
    },
    schemas: (body.schemas ?? null) as Record<string, unknown> | null,
    response: body.response ? { status: body.response.status, contentType: body.response.contentType ?? 'application/json', body: body.response.body } : null,
    metadata: body.metadata ?? {},
  };
}

/** The Svix Ingest API's sources: `/ingest/api/v1/source`. */
export function sourceRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/source',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.list',
          summary: 'List sources',
          querystring: Type.Object({ ...PaginationQuery, order: Type.Optional(Ordering) }),
          response: { 200: ListResponse(SourceOut, 'IngestSourceOut'), ...errorResponses },
        },
      },
      async (request) => {
        requireOrganisationAccess(request);
        const { limit = 50, iterator, order } = request.query;
        const page = await store.listSources({ limit, iterator, order });
        return { ...page, data: page.data.map((source) => toSourceOut(source, ingestUrlOf(deps, request, source))) };
      },
    );

    app.post(
      '/source',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.create',
          summary: 'Create a source: an ingest URL for a provider, with its verification scheme',
          headers: IdempotencyHeaders,
          body: SourceIn,
          response: { 201: SourceOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        requireOrganisationAccess(request);
        const created = unwrap(await store.createSource({ ...toInput(request.body, null), token: randomToken(24) }));
        deps.sources.forget(created.id);
        return reply.code(201).send(toSourceOut(created, ingestUrlOf(deps, request, created)));
      },
    );

    app.get(
      '/source/:source_id',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.get',
          summary: 'Get a source',
          params: SourceParams,
          response: { 200: SourceOut, 304: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const source = await loadSource(deps, request, request.params.source_id);
        return sendWithEtag(request, reply, source, toSourceOut(source, ingestUrlOf(deps, request, source)));
      },
    );

    app.put(
      '/source/:source_id',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.update',
          summary: 'Replace a source; secret config fields left out keep their stored values',
          params: SourceParams,
          body: SourceIn,
          response: { 200: SourceOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const existing = await loadSource(deps, request, request.params.source_id);
        const version = expectedVersion(request, existing);
        const updated = unwrap(await store.updateSource(existing.id, toInput(request.body, existing), version));
        deps.sources.forget(updated.id);
        return sendWithEtag(request, reply, updated, toSourceOut(updated, ingestUrlOf(deps, request, updated)));
      },
    );

    app.delete(
      '/source/:source_id',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.delete',
          summary: 'Delete a source and its destinations; its ingest URL stops working',
          params: SourceParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const existing = await loadSource(deps, request, request.params.source_id);
        unwrap(await store.deleteSource(existing.id, expectedVersion(request, existing)));
        deps.sources.forget(existing.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/source/:source_id/token/rotate',
      {
        schema: {
          tags,
          operationId: 'v1.ingest.source.rotate-token',
          summary: 'Give the source a new ingest URL; the old one keeps working for the grace period (default 24 h)',
          params: SourceParams,
          headers: IdempotencyHeaders,
          body: RotateTokenIn,
          response: { 200: RotateTokenOut, ...errorResponses },
        },
        preValidation: absentBodyAsEmpty,
      },
      async (request) => {
        const existing = await loadSource(deps, request, request.params.source_id);
        const grace = request.body.gracePeriodSeconds ?? DEFAULT_TOKEN_GRACE_SECONDS;
        const rotated = unwrap(await store.rotateSourceToken(existing.id, randomToken(24), new Date(deps.now() + grace * 1000)));
        deps.sources.forget(rotated.id);
        return { ingestUrl: ingestUrlOf(deps, request, rotated) };
      },
    );
  };
}

/** A source's destinations are endpoints owned by the source, with the Ingest API's operations. */
export function sourceEndpointScope(deps: ApiDeps): EndpointScope {
  return {
    path: '/source/:source_id',
    param: 'source_id',
    operationPrefix: 'v1.ingest.endpoint',
    tags: ['Ingest Endpoint'],
    full: false,
    load: (request, idOrUid) => loadSource(deps, request, idOrUid),
  };
}
