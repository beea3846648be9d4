import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { HookyardMetrics } from '../../observability/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Ids a route adds to its request's completion log line (the message it created, the source it received for). */
    logFields?: Record<string, string | number | null>;
  }
  interface FastifyContextConfig {
    /** Health and metrics routes: polled every few seconds, so their completion lines are logged at debug. */
    probe?: boolean;
  }
}

/**
 * Replaces Fastify's own per-request lines ("incoming request", "request completed", "Route … not found"): they
 * log the raw URL, and ingest URLs carry their source's token, and they make two lines of every request. The
 * completion line below replaces them. Fastify's lines for errors it handles itself are kept.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
  override routeNotFound(): void {}
}

/** Adds ids to the request's completion log line, so that one line ties the request id to what it did. */
export function annotateLog(request: FastifyRequest, fields: Record<string, string | number | null>): void {
  request.logFields = { ...request.logFields, ...fields };
}

/**
 * Every request, once answered, is counted by route template (never by raw path: that would be one time series
 * per id) and logged in one line with its request id, route, status and latency. The path itself is not logged:
 * ingest URLs carry their source's token, and the route template says which operation it was.
 */
export function registerRequestObservability(app: FastifyInstance, metrics: HookyardMetrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    metrics.httpRequest(route, request.method, status, ms / 1000);
    // API quotas, and the failed-authentication quota per address, are what answer 429.
    if (status === 429) metrics.apiRateLimited(request.principal ? 'credential' : 'address');
    const level = status >= 500 ? 'warn' : request.routeOptions.config?.probe ? 'debug' : 'info';
    // Checked first: building the line costs as much as the metrics, and most deployments log at info or above.
    if (!(request.log as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(level)) return;
    request.log[level]({ method: request.method, route, status, durationMs: Math.round(ms * 100) / 100, ...request.logFields }, 'request completed');
  });
}
