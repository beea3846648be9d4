import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { grants } from '../../auth/scopes.js';
import { OAuthError, type ClientCredentials } from '../../auth/oauth/authorization-server.js';
import type { OAuthClient } from '../../store/port.js';
import type { ApiDeps } from '../context.js';

const FormParams = Type.Record(Type.String(), Type.String(), {
  description: 'application/x-www-form-urlencoded parameters (JSON accepted too), as RFC 6749 defines them',
});
const TokenOut = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer(),
    scope: Type.String(),
    refresh_token: Type.Optional(Type.String()),
    issued_token_type: Type.Optional(Type.String()),
    app_id: Type.Optional(Type.String({ description: 'Extension: the application a confined session is limited to' })),
  },
  { title: 'OAuthTokenOut' },
);
const OAuthErrorOut = Type.Object({ error: Type.String(), error_description: Type.String() }, { title: 'OAuthErrorOut' });

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicCredentials(request: FastifyRequest): ClientCredentials | null | 'malformed' {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return 'malformed';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return 'malformed';
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return 'malformed';
  }
}

function paramsOf(request: FastifyRequest): Record<string, string | undefined> {
  const body = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** Client credentials from the Basic header or the body, never both (RFC 6749 §2.3.1). */
function credentialsOf(request: FastifyRequest, params: Record<string, string | undefined>): ClientCredentials | null {
  const basic = basicCredentials(request);
  if (basic === 'malformed') throw new OAuthError('invalid_client', 'The Authorization header is not valid Basic credentials.');
  const inBody = params.client_id !== undefined || params.client_secret !== undefined;
  if (basic && inBody) throw new OAuthError('invalid_request', 'Send client credentials in the Authorization header or the body, not both.');
  if (basic) return basic;
  return inBody ? { id: params.client_id ?? '', secret: params.client_secret ?? '' } : null;
}

/**
 * The OAuth 2.0 endpoints: `/oauth/token`, `/oauth/revoke` (RFC 7009), `/oauth/introspect` (RFC 7662). Public routes
 * (the client authenticates in the request), limited per address; errors in the RFC 6749 shape.
 */
export function oauthRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { oauth } = deps;

  async function refuse(request: FastifyRequest, reply: FastifyReply, error: OAuthError) {
    if (error.error === 'invalid_client') {
      reply.header('www-authenticate', 'Basic realm="hookyard"');
      // A refused credential is audited like one refused on the API.
      await deps.store
        .recordAudit([
          {
            at: new Date(deps.now()),
            actorId: null,
            actorKind: 'oauth_client',
            action: request.routeOptions.schema?.operationId ?? 'oauth',
            method: request.method,
            path: request.url.split('?')[0]!,
            statusCode: 401,
            outcome: 'unauthenticated',
            appId: null,
            ip: request.ip,
            requestId: request.id,
          },
        ])
        .catch((failure: unknown) => request.log.error({ err: failure }, 'could not record an audit entry'));
    }
    return reply.code(error.status).header('cache-control', 'no-store').send({ error: error.error, error_description: error.description });
  }

  async function run(request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) {
    try {
      const result = await work();
      return reply.code(200).header('cache-control', 'no-store').header('pragma', 'no-cache').send(result);
    } catch (error) {
      if (error instanceof OAuthError) return refuse(request, reply, error);
      throw error;
    }
  }

  /** Introspection is for resource servers: a registered client, or a credential holding `admin`. */
  async function introspector(request: FastifyRequest, params: Record<string, string | undefined>): Promise<void> {
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (bearer) {
      const principal = await deps.authenticator.authenticate(bearer[1]!);
      if (principal && grants(principal.scopes, 'admin')) return;
      throw new OAuthError('invalid_client', 'Introspection needs a client or an admin credential.');
    }
    await oauth.authenticateClient(credentialsOf(request, params));
  }

  return async (plugin) => {
    plugin.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const common = { tags: ['OAuth 2.0'], security: [], consumes: ['application/x-www-form-urlencoded', 'application/json'], body: FormParams };
    const config = { public: true, quotaByAddress: true };

    app.post(
      '/oauth/token',
      {
        config,
        schema: {
          ...common,
          operationId: 'oauth.token',
          summary: 'Issue tokens: client_credentials, refresh_token, or token exchange of an API key (urn:ietf:params:oauth:grant-type:token-exchange)',
          response: { 200: TokenOut, 400: OAuthErrorOut, 401: OAuthErrorOut },
        },
      },
      (request, reply) =>
        run(request, reply, async () => {
          const params = paramsOf(request);
          return oauth.token(params, credentialsOf(request, params));
        }),
    );

    app.post(
      '/oauth/revoke',
      {
        config,
        schema: { ...common, operationId: 'oauth.revoke', summary: 'Revoke an access or refresh token (RFC 7009)', response: { 200: Type.Object({}), 400: OAuthErrorOut, 401: OAuthErrorOut } },
      },
      (request, reply) =>
        run(request, reply, async () => {
          const params = paramsOf(request);
          const credentials = credentialsOf(request, params);
          const client: OAuthClient | null = credentials ? await oauth.authenticateClient(credentials) : null;
          await oauth.revoke(params, client);
          return {};
        }),
    );

    app.post(
      '/oauth/introspect',
      {
        config,
        schema: {
          ...common,
          operationId: 'oauth.introspect',
          summary: 'Describe a token (RFC 7662); needs a client or an admin credential',
          response: { 200: Type.Object({ active: Type.Boolean() }, { additionalProperties: true }), 400: OAuthErrorOut, 401: OAuthErrorOut },
        },
      },
      (request, reply) =>
        run(request, reply, async () => {
          const params = paramsOf(request);
          await introspector(request, params);
          return oauth.introspect(params);
        }),
    );
  };
}
