import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { grants, type RouteScope } from '../../auth/scopes.js';
import type { TokenAuthenticator } from '../../auth/tokens.js';
import type { RateLimiter } from '../../coordination/port.js';
import type { ApplicationStore } from '../../store/port.js';
import { ApiError, forbidden, unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires; set from the authorization table (src/api/access.ts) when the route is added. */
    scope?: RouteScope;
  }
}

export interface AuthenticationOptions {
  authenticator: TokenAuthenticator;
  applications: Pick<ApplicationStore, 'getApplication'>;
  limiter: RateLimiter;
  /** Failed authentications allowed per client address per minute before it is slowed down; 0: no limit. */
  failuresPerMinute: number;
  now: () => number;
}

/**
 * Who is calling (401 when nobody we know), then whether they may (403). Repeated failures from one address spend
 * its failure quota; once it is gone every request from there gets 429 until the quota refills, so guessing tokens
 * is slowed to a trickle (and, with Redis, across the whole cluster).
 */
export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  const failures = { limit: options.failuresPerMinute, windowSeconds: 60 };
  /** Addresses whose failure quota is spent, until when; checked before any token lookup. */
  const blocked = new Map<string, number>();

  function throttled(reply: FastifyReply, retryAfterSeconds: number): ApiError {
    reply.header('retry-after', String(retryAfterSeconds));
    return new ApiError(429, 'too_many_failed_authentications', `Too many failed authentications from this address; retry after ${retryAfterSeconds} s.`);
  }

  async function failed(request: FastifyRequest, reply: FastifyReply, error: ApiError): Promise<never> {
    if (failures.limit > 0) {
      const decision = await options.limiter.take(`auth-failure:${request.ip}`, failures, options.now());
      if (!decision.allowed) {
        if (blocked.size > 10_000) blocked.clear();
        blocked.set(request.ip, options.now() + decision.retryAfterSeconds * 1000);
        throw throttled(reply, decision.retryAfterSeconds);
      }
    }
    throw error;
  }

  app.addHook('onRequest', async (request, reply) => {
    if (request.is404 || request.routeOptions.config.public) return;
    const until = blocked.get(request.ip);
    if (until !== undefined) {
      const left = Math.ceil((until - options.now()) / 1000);
      if (left > 0) throw throttled(reply, left);
      blocked.delete(request.ip);
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) return failed(request, reply, unauthorized('Missing or malformed Authorization header; expected "Bearer <token>".'));
    const principal = await options.authenticator.authenticate(match[1]!);
    if (!principal) return failed(request, reply, unauthorized());
    request.principal = principal;
    const required = request.routeOptions.config.scope;
    // A route without a scope never gets this far: the server refuses to start with one (src/api/access.ts).
    if (required === undefined || !grants(principal.scopes, required)) {
      throw forbidden(`This credential lacks the ${required ?? 'required'} scope.`);
    }
  });

  // Object-level authorization, before the body is even validated: a credential confined to one application
  // reaches that application's resources and nothing else, and learns nothing about the rest (not even whether a
  // request body would have been valid).
  app.addHook('preValidation', async (request) => {
    const principal = request.principal;
    if (!principal || principal.appId === null) return;
    const target = (request.params as Record<string, string | undefined> | undefined)?.app_id;
    if (target === undefined) {
      if (!CONFINED_MAY_USE.has(request.routeOptions.config.scope ?? 'admin')) throw forbidden('This credential is confined to one application.');
      return;
    }
    if (target === principal.appId) return;
    const own = await options.applications.getApplication(principal.appId);
    if (!own || own.uid !== target) throw forbidden('This credential is confined to another application.');
  });
}

/** Routes outside any one application that a confined credential may still use: logging out, tasks, event types. */
const CONFINED_MAY_USE = new Set<RouteScope>(['authenticated', 'event_type:read']);
