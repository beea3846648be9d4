import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import { ALL_SCOPES } from '../../auth/scopes.js';
import { hashToken } from '../../core/secret-box.js';
import type { OAuthClient } from '../../store/port.js';
import type { ApiDeps } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { unwrap } from '../outcomes.js';
import { DateTime, IdOrUid, IdempotencyHeaders, ListResponse, NoContent, Nullable, Ordering, PaginationQuery, errorResponses, iso } from '../shared-schemas.js';

const tags = ['OAuth Client'];
const ClientParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^cli_[A-Za-z0-9]+$' }) });

const OAuthClientIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256 }),
    scopes: Type.Array(Type.Union(ALL_SCOPES.map((scope) => Type.Literal(scope))), { minItems: 1, uniqueItems: true, description: 'The most its tokens may carry' }),
    appId: Type.Optional(Nullable(IdOrUid)),
  },
  { additionalProperties: false, title: 'OAuthClientIn' },
);

const OAuthClientOut = Type.Object(
  {
    id: Type.String({ description: 'The client_id' }),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    appId: Nullable(Type.String()),
    createdAt: DateTime,
    updatedAt: DateTime,
    revokedAt: Nullable(DateTime),
  },
  { title: 'OAuthClientOut' },
);
const OAuthClientSecretOut = Type.Object(
  { ...OAuthClientOut.properties, secret: Type.String({ description: 'The client_secret: shown once, stored only as a hash' }) },
  { title: 'OAuthClientSecretOut' },
);
const RotateIn = Type.Object(
  { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, default: 86400, description: 'How long the old secret keeps working' })) },
  { additionalProperties: false, title: 'OAuthClientRotateIn' },
);

function toOut(client: OAuthClient): Static<typeof OAuthClientOut> {
  return {
    id: client.id,
    name: client.name,
    scopes: client.scopes,
    appId: client.appId,
    createdAt: iso(client.createdAt),
    updatedAt: iso(client.updatedAt),
    revokedAt: client.revokedAt && iso(client.revokedAt),
  };
}

const newSecret = () => `hys_${randomBytes(32).toString('base64url')}`;

/** Extension: OAuth 2.0 clients for the `client_credentials` grant. */
export function oauthClientRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/oauth-client',
      {
        schema: {
          tags,
          operationId: 'v1.oauth-client.list',
          summary: 'List OAuth clients',
          querystring: Type.Object({ ...PaginationQuery, order: Type.Optional(Ordering) }),
          response: { 200: ListResponse(OAuthClientOut, 'OAuthClientOut'), ...errorResponses },
        },
      },
      async (request) => {
        const { limit = 50, iterator, order } = request.query;
        const page = await store.listOAuthClients({ limit, iterator, order });
        return { ...page, data: page.data.map(toOut) };
      },
    );

    app.post(
      '/oauth-client',
      {
        schema: {
          tags,
          operationId: 'v1.oauth-client.create',
          summary: 'Register an OAuth client; its secret is in this answer only',
          headers: IdempotencyHeaders,
          body: OAuthClientIn,
          response: { 201: OAuthClientSecretOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        let appId: string | null = null;
        if (request.body.appId) {
          const application = await store.getApplication(request.body.appId);
          if (!application) throw invalid(['body', 'appId'], 'no such application');
          appId = application.id;
        }
        const secret = newSecret();
        const client = await store.createOAuthClient({ name: request.body.name, scopes: request.body.scopes, appId, secretHash: hashToken(secret) });
        return reply.code(201).send({ ...toOut(client), secret });
      },
    );

    app.get(
      '/oauth-client/:client_id',
      { schema: { tags, operationId: 'v1.oauth-client.get', summary: 'Get an OAuth client', params: ClientParams, response: { 200: OAuthClientOut, ...errorResponses } } },
      async (request) => {
        const client = await store.getOAuthClient(request.params.client_id);
        if (!client) throw notFound();
        return toOut(client);
      },
    );

    app.post(
      '/oauth-client/:client_id/secret/rotate',
      {
        schema: {
          tags,
          operationId: 'v1.oauth-client.rotate-secret',
          summary: 'Give the client a new secret; the old one keeps working during the overlap',
          params: ClientParams,
          headers: IdempotencyHeaders,
          body: RotateIn,
          response: { 200: OAuthClientSecretOut, ...errorResponses },
        },
      },
      async (request) => {
        const secret = newSecret();
        const overlap = request.body.overlapSeconds ?? 86400;
        const client = unwrap(await store.rotateOAuthClientSecret(request.params.client_id, hashToken(secret), new Date(deps.now() + overlap * 1000)));
        return { ...toOut(client), secret };
      },
    );

    app.delete(
      '/oauth-client/:client_id',
      {
        schema: {
          tags,
          operationId: 'v1.oauth-client.revoke',
          summary: 'Revoke a client, its refresh tokens and (within seconds) its access tokens',
          params: ClientParams,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        unwrap(await store.revokeOAuthClient(request.params.client_id));
        deps.authenticator.forget(request.params.client_id);
        return reply.code(204).send(null);
      },
    );
  };
}
