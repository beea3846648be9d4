import type { RouteOptions } from 'fastify';
import type { RouteScope } from '../auth/scopes.js';

/**
 * The authorization matrix: the scope each operation needs, by its OpenAPI operation id. One table, so that who may
 * do what can be read (and reviewed) in one place. An authenticated route missing here refuses to start the server:
 * access control fails closed. Object-level confinement (a credential limited to one application) is enforced where
 * the application is loaded (`loadApplication`, `requireOrganisationAccess`).
 */

const table: Record<string, RouteScope> = {
  'v1.application.list': 'app:read',
  'v1.application.get': 'app:read',
  'v1.application.create': 'app:write',
  'v1.application.update': 'app:write',
  'v1.application.patch': 'app:write',
  'v1.application.delete': 'app:write',

  'v1.endpoint.list': 'endpoint:read',
  'v1.endpoint.get': 'endpoint:read',
  'v1.endpoint.get-headers': 'endpoint:read',
  'v1.endpoint.get-stats': 'endpoint:read',
  'v1.endpoint.create': 'endpoint:write',
  'v1.endpoint.update': 'endpoint:write',
  'v1.endpoint.patch': 'endpoint:write',
  'v1.endpoint.delete': 'endpoint:write',
  'v1.endpoint.update-headers': 'endpoint:write',
  'v1.endpoint.patch-headers': 'endpoint:write',
  // Reading a signing secret is as sensitive as setting one.
  'v1.endpoint.get-secret': 'endpoint:write',
  'v1.endpoint.rotate-secret': 'endpoint:write',
  'v1.endpoint.recover': 'endpoint:write',
  'v1.endpoint.send-example': 'endpoint:write',

  'v1.message.list': 'message:read',
  'v1.message.get': 'message:read',
  'v1.message.create': 'message:write',
  'v1.message.expunge-content': 'message:write',
  'v1.message-attempt.list-by-endpoint': 'message:read',
  'v1.message-attempt.list-by-msg': 'message:read',
  'v1.message-attempt.list-attempted-messages': 'message:read',
  'v1.message-attempt.list-attempted-destinations': 'message:read',
  'v1.message-attempt.get': 'message:read',
  'v1.message-attempt.resend': 'message:write',
  'v1.message-attempt.expunge-content': 'message:write',
  // Every application's delivery numbers; confined credentials are refused by the route.
  'v1.stats.get': 'message:read',
  'v1.stats.failing-endpoints': 'endpoint:read',

  'v1.event-type.list': 'event_type:read',
  'v1.event-type.get': 'event_type:read',
  'v1.event-type.create': 'event_type:write',
  'v1.event-type.update': 'event_type:write',
  'v1.event-type.patch': 'event_type:write',
  'v1.event-type.delete': 'event_type:write',

  // Portal tokens get at most the issuer's own scopes; see the route.
  'v1.authentication.app-portal-access': 'app:read',
  'v1.authentication.logout': 'authenticated',
  // Tasks are only ever shown to the credential's own application (or to unconfined credentials).
  'v1.background-task.get': 'authenticated',

  'v1.ingest.source.list': 'source:read',
  'v1.ingest.source.get': 'source:read',
  'v1.ingest.source.create': 'source:write',
  'v1.ingest.source.update': 'source:write',
  'v1.ingest.source.delete': 'source:write',
  'v1.ingest.source.rotate-token': 'source:write',
  'v1.ingest.endpoint.list': 'source:read',
  'v1.ingest.endpoint.get': 'source:read',
  'v1.ingest.endpoint.get-headers': 'source:read',
  'v1.ingest.endpoint.create': 'source:write',
  'v1.ingest.endpoint.update': 'source:write',
  'v1.ingest.endpoint.delete': 'source:write',
  'v1.ingest.endpoint.update-headers': 'source:write',
  'v1.ingest.endpoint.get-secret': 'source:write',
  'v1.ingest.endpoint.rotate-secret': 'source:write',
  'v1.ingest.event.list': 'source:read',
  'v1.ingest.event.get': 'source:read',
  'v1.ingest.event.list-attempts': 'source:read',
  'v1.ingest.event.replay': 'source:write',
  'v1.ingest.event.release': 'source:write',
  'v1.ingest.event.replay-many': 'source:write',

  'v1.api-key.list': 'admin',
  'v1.api-key.get': 'admin',
  'v1.api-key.create': 'admin',
  'v1.api-key.rotate': 'admin',
  'v1.api-key.revoke': 'admin',
  'v1.audit.list': 'admin',
  'v1.oauth-client.list': 'admin',
  'v1.oauth-client.get': 'admin',
  'v1.oauth-client.create': 'admin',
  'v1.oauth-client.rotate-secret': 'admin',
  'v1.oauth-client.revoke': 'admin',
};

export const routeScopes: Readonly<Record<string, RouteScope>> = table;

/** Sets a route's required scope from the table; throws for an authenticated route the table does not cover. */
export function assignRouteScope(route: RouteOptions): void {
  const config = (route.config ?? {}) as { public?: boolean; scope?: RouteScope };
  if (config.public) return;
  const operationId = (route.schema as { operationId?: string } | undefined)?.operationId;
  const scope = operationId === undefined ? undefined : table[operationId];
  if (scope === undefined) {
    throw new Error(`route ${route.method} ${route.url} (${operationId ?? 'no operationId'}) has no entry in the authorization table (src/api/access.ts)`);
  }
  route.config = { ...config, scope };
}
