import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { createApiKey, rotateApiKey } from '../../auth/api-keys.js';
import { ALL_SCOPES, type Scope } from '../../auth/scopes.js';
import type { ApiToken } from '../../store/port.js';
import type { ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { unwrap } from '../outcomes.js';
import { DateTime, IdOrUid, IdempotencyHeaders, ListResponse, NoContent, Nullable, Ordering, PaginationQuery, errorResponses, iso } from '../shared-schemas.js';

const tags = ['API Key'];
const KeyParams = Type.Object({ key_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^tok_[A-Za-z0-9]+$' }) });
const ScopeName = Type.Union(ALL_SCOPES.map((scope) => Type.Literal(scope)));
const DEFAULT_OVERLAP_SECONDS = 86400;

const ApiKeyIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    scopes: Type.Array(ScopeName, { minItems: 1, uniqueItems: true, description: '`admin`, or `{app,endpoint,message,event_type,source}:{read,write}`' }),
    appId: Type.Optional(Nullable(IdOrUid)),
    expiresInSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 }))),
    rateLimit: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Requests per second; the configured default when absent' }))),
  },
  { additionalProperties: false, title: 'ApiKeyIn' },
);

const ApiKeyOut = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String({ description: 'The start of the key, to recognise it; the whole key is shown only when made' }),
    scopes: Type.Array(Type.String()),
    appId: Nullable(Type.String()),
    rateLimit: Nullable(Type.Integer()),
    createdAt: DateTime,
    expiresAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
    lastUsedAt: Nullable(DateTime),
  },
  { title: 'ApiKeyOut' },
);
type ApiKeyOut = Static<typeof ApiKeyOut>;

const ApiKeyCreatedOut = Type.Object({ ...ApiKeyOut.properties, key: Type.String({ description: 'Shown once; stored only as a hash' }) }, { title: 'ApiKeyCreatedOut' });

const RotateIn = Type.Object(
  { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, default: DEFAULT_OVERLAP_SECONDS, description: 'How long the old key keeps working' })) },
  { additionalProperties: false, title: 'ApiKeyRotateIn' },
);

export function toApiKeyOut(token: ApiToken): ApiKeyOut {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix ?? '',
    scopes: token.scopes,
    appId: token.appId,
    rateLimit: token.rateLimit,
    createdAt: iso(token.createdAt),
    expiresAt: token.expiresAt && iso(token.expiresAt),
    revokedAt: token.revokedAt && iso(token.revokedAt),
    lastUsedAt: token.lastUsedAt && iso(token.lastUsedAt),
  };
}

/** Extension: API keys with scopes, optional confinement to one application, expiry and their own rate limit. */
export function apiKeyRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;

  async function loadKey(id: string): Promise<ApiToken> {
    const token = await store.getApiToken(id);
    if (!token || token.kind !== 'api_key') throw notFound();
    return token;
  }

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/api-key',
      {
        schema: {
          tags,
          operationId: 'v1.api-key.list',
          summary: 'List API keys, newest first (revoked ones show revokedAt)',
          querystring: Type.Object({ ...PaginationQuery, order: Type.Optional(Ordering) }),
          response: { 200: ListResponse(ApiKeyOut, 'ApiKeyOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { limit = 50, iterator, order } = request.query;
        const page = await store.listApiTokens({ limit, iterator, order }, { kinds: ['api_key'] });
        return { ...page, data: page.data.map(toApiKeyOut) };
      },
    );

    app.post(
      '/api-key',
      {
        schema: {
          tags,
          operationId: 'v1.api-key.create',
          summary: 'Create an API key; the key is in this answer only',
          headers: IdempotencyHeaders,
          body: ApiKeyIn,
          response: { 201: ApiKeyCreatedOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body;
        let appId: string | null = null;
        if (body.appId) {
          const application = await store.getApplication(body.appId);
          if (!application) throw invalid(['body', 'appId'], 'no such application');
          appId = application.id;
        }
        const { token, key } = await createApiKey(store, {
          name: body.name,
          scopes: body.scopes as Scope[],
          appId,
          expiresAt: body.expiresInSeconds ? new Date(deps.now() + body.expiresInSeconds * 1000) : null,
          rateLimit: body.rateLimit ?? null,
        });
        return reply.code(201).send({ ...toApiKeyOut(token), key });
      },
    );

    app.get(
      '/api-key/:key_id',
      { schema: { tags, operationId: 'v1.api-key.get', summary: 'Get an API key (never the key itself)', params: KeyParams, response: { 200: ApiKeyOut, ...errorResponses } } },
      async (request) => toApiKeyOut(await loadKey(request.params.key_id)),
    );

    app.post(
      '/api-key/:key_id/rotate',
      {
        schema: {
          tags,
          operationId: 'v1.api-key.rotate',
          summary: 'Replace a key with a new one with the same rights; both work during the overlap',
          params: KeyParams,
          headers: IdempotencyHeaders,
          body: RotateIn,
          response: { 201: ApiKeyCreatedOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const current = await loadKey(request.params.key_id);
        const overlap = request.body.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
        const { token, key } = unwrap(await rotateApiKey(store, current.id, new Date(deps.now() + overlap * 1000)));
        if (overlap === 0) deps.authenticator.forget(current.id);
        return reply.code(201).send({ ...toApiKeyOut(token), key });
      },
    );

    app.delete(
      '/api-key/:key_id',
      { schema: { tags, operationId: 'v1.api-key.revoke', summary: 'Revoke an API key at once', params: KeyParams, response: { 204: NoContent, ...errorResponses } } },
      async (request, reply) => {
        const current = await loadKey(request.params.key_id);
        await store.revokeApiToken(current.id);
        deps.authenticator.forget(current.id);
        return reply.code(204).send(null);
      },
    );
  };
}
