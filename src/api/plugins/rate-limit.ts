import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitDecision, RateLimitPolicy, RateLimiter } from '../../coordination/port.js';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Unauthenticated routes that take traffic are limited per client address (the others are per credential). */
    quotaByAddress?: boolean;
  }
}

export interface RateLimitOptions {
  limiter: RateLimiter;
  /** Requests per second per credential without a limit of its own; 0: no limit. */
  perCredential: number;
  /** Requests per second per address on `quotaByAddress` routes; 0: no limit. */
  perAddress: number;
  now: () => number;
}

/** The quota's name in the RateLimit headers; one policy applies to a request, so one name does. */
const POLICY_NAME = 'default';

/**
 * Request quotas with the IETF httpapi RateLimit header fields: every limited answer says the policy
 * (`RateLimit-Policy: "default";q=100;w=1`) and what is left of it (`RateLimit: "default";r=42;t=1`); a refused
 * request gets 429 with `Retry-After`. Runs after authentication, so a credential's quota is cluster-wide when
 * the limiter is Redis-backed, and an unknown caller spends nothing but its address's quota.
 */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  const byCredential: RateLimitPolicy = { limit: options.perCredential, windowSeconds: 1 };
  const byAddress: RateLimitPolicy = { limit: options.perAddress, windowSeconds: 1 };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    let key: string;
    let policy: RateLimitPolicy;
    if (request.principal) {
      key = `credential:${request.principal.tokenId}`;
      // A key's own limit, when it has one, replaces the default (also where the default is off).
      const own = request.principal.rateLimit;
      policy = own === null ? byCredential : { limit: own, windowSeconds: 1 };
    } else if (config.quotaByAddress) {
      key = `address:${request.ip}`;
      policy = byAddress;
    } else return;
    if (policy.limit <= 0) return;
    const decision = await options.limiter.take(key, policy, options.now());
    setHeaders(reply, policy, decision);
    if (!decision.allowed) {
      reply.header('retry-after', String(decision.retryAfterSeconds));
      throw new ApiError(429, 'rate_limited', `Too many requests: the limit is ${policy.limit} per ${policy.windowSeconds} s. Retry after ${decision.retryAfterSeconds} s.`);
    }
  });
}

function setHeaders(reply: FastifyReply, policy: RateLimitPolicy, decision: RateLimitDecision): void {
  reply.header('ratelimit-policy', `"${POLICY_NAME}";q=${policy.limit};w=${policy.windowSeconds}`);
  reply.header('ratelimit', `"${POLICY_NAME}";r=${decision.remaining};t=${decision.resetSeconds}`);
}
