import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { grants, narrow, type Scope } from '../../auth/scopes.js';
import { generateToken, portalScopes } from '../../auth/tokens.js';
import { hashToken } from '../../core/secret-box.js';
import { ApplicationIn } from '../application/schemas.js';
import { principalOf, requireOrganisationAccess, type ApiDeps } from '../context.js';
import { forbidden, notFound } from '../errors.js';
import { IdOrUid, IdempotencyHeaders, NoContent, Nullable, SAFE_ID_PATTERN, errorResponses } from '../shared-schemas.js';

const DEFAULT_PORTAL_TOKEN_SECONDS = 7 * 86400;

const AppPortalAccessIn = Type.Object(
  {
    application: Type.Optional(Nullable(ApplicationIn)),
    featureFlags: Type.Optional(Type.Array(Type.String({ maxLength: 256, pattern: SAFE_ID_PATTERN }), { uniqueItems: true, maxItems: 50 })),
    /** Newer Svix fields. `expiry` is the token lifetime in seconds. */
    expiry: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 30 * 86400 }))),
    readOnly: Type.Optional(Nullable(Type.Boolean())),
    sessionId: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    capabilities: Type.Optional(Nullable(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 50 }))),
  },
  { additionalProperties: false, title: 'AppPortalAccessIn' },
);

const AppPortalAccessOut = Type.Object({ token: Type.String(), url: Type.String() }, { title: 'AppPortalAccessOut' });

export function authRoutes(deps: ApiDeps): FastifyPluginAsync {
  const { store } = deps;
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/auth/app-portal-access/:app_id',
      {
        schema: {
          tags: ['Authentication'],
          operationId: 'v1.authentication.app-portal-access',
          summary: "A token confined to one application, for that application's consumer portal",
          params: Type.Object({ app_id: IdOrUid }),
          headers: IdempotencyHeaders,
          body: AppPortalAccessIn,
          response: { 200: AppPortalAccessOut, ...errorResponses },
        },
      },
      async (request) => {
        const issuer = requireOrganisationAccess(request);
        const idOrUid = request.params.app_id;
        let application = await store.getApplication(idOrUid);
        const wanted = request.body.application;
        if (!application && wanted) {
          if (!grants(issuer.scopes, 'app:write')) throw forbidden('Creating the application needs the app:write scope.');
          const created = await store.createApplication({
            name: wanted.name,
            uid: wanted.uid ?? idOrUid,
            throttleRate: wanted.throttleRate ?? wanted.rateLimit ?? null,
            metadata: wanted.metadata ?? {},
          });
          if (created.ok) deps.applications.forget();
          application = created.ok ? created.value : await store.getApplication(idOrUid);
        }
        if (!application) throw notFound();
        const token = generateToken('app_portal');
        const lifetime = request.body.expiry ?? DEFAULT_PORTAL_TOKEN_SECONDS;
        await store.createApiToken({
          kind: 'app_portal',
          appId: application.id,
          name: 'app-portal',
          // A portal session never holds more than the credential that opened it.
          scopes: narrow(portalScopes(request.body.readOnly ?? false) as Scope[], issuer.scopes),
          tokenHash: hashToken(token),
          expiresAt: new Date(deps.now() + lifetime * 1000),
        });
        const base = deps.config.publicUrl ?? `${request.protocol}://${request.host}`;
        // The token travels in the fragment so that it never reaches server logs or Referer headers.
        return { token, url: `${base.replace(/\/$/, '')}/dashboard/portal#token=${token}` };
      },
    );

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['Authentication'],
          operationId: 'v1.authentication.logout',
          summary: 'End the session (app-portal or OAuth) this request is made with',
          headers: IdempotencyHeaders,
          response: { 204: NoContent, ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        // Logging out ends a session; an operator's token or an API key is revoked deliberately, by id.
        if (principal.kind === 'admin' || principal.kind === 'api_key') {
          throw forbidden('Only session tokens log out; revoke an API key with DELETE /api/v1/api-key/{key_id}.');
        }
        if (principal.session) await deps.oauth.endSession(principal.session, principal.tokenId);
        else await store.revokeApiToken(principal.tokenId);
        deps.authenticator.forget(principal.tokenId);
        return reply.code(204).send(null);
      },
    );
  };
}
