import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { ApiDeps } from '../context.js';

/**
 * The dashboard's document may only load what the build emitted next to it and talk to this origin's API: no inline
 * script or style, no third party. The operator dashboard is never framed (it can change everything); the consumer
 * portal is meant to be embedded in a SaaS's own pages, so any origin may frame it.
 */
function contentSecurityPolicy(portal: boolean): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${portal ? '*' : "'none'"}`,
  ].join('; ');
}

/** Vite names every emitted asset after its content hash, so a URL never changes meaning and may be cached for good. */
const HASHED_ASSET_MAX_AGE_MS = 365 * 86_400_000;

const NOT_BUILT = 'The dashboard is not built. Run `npm run build:dashboard` (npm install runs it), then reload.';

function documentHeaders(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const portal = /^\/dashboard\/portal(\/|$|\?)/.test(request.url);
  reply.header('content-security-policy', contentSecurityPolicy(portal));
  if (!portal) reply.header('x-frame-options', 'DENY');
  return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
}

function notBuilt(request: FastifyRequest, reply: FastifyReply) {
  documentHeaders(request, reply).code(503).header('retry-after', '60');
  if (request.headers.accept?.includes('text/html')) {
    return reply
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><meta charset="utf-8"><title>Hookyard dashboard not built</title><h1>Dashboard not built</h1><p>${NOT_BUILT.replace(/`([^`]+)`/g, '<code>$1</code>')}</p></html>`,
      );
  }
  return reply.send({ code: 'dashboard_not_built', detail: NOT_BUILT });
}

/**
 * `/dashboard`: the single-page app built from `dashboard/` (see docs/dashboard.md). Public routes: the page holds no
 * data, everything it shows comes from the API with the signed-in session's token. Paths without a file extension
 * are the app's own routes and get its document; a missing asset is a plain 404, never the document in its place.
 */
export function dashboardRoutes(deps: ApiDeps): FastifyPluginAsync {
  const root = deps.config.dashboardDir;
  return async (app) => {
    await app.register(fastifyStatic, { root, serve: false });
    const options = { config: { public: true }, schema: { hide: true } };

    async function serve(request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) {
      // Checked per request, so a build made while Hookyard runs is served without a restart.
      if (!existsSync(`${root}/index.html`)) return notBuilt(request, reply);
      const path = request.params['*'] ?? '';
      if (extname(path) === '') return documentHeaders(request, reply).sendFile('index.html', { cacheControl: false });
      reply.header('x-content-type-options', 'nosniff');
      if (path.startsWith('assets/')) return reply.sendFile(path, { maxAge: HASHED_ASSET_MAX_AGE_MS, immutable: true });
      return reply.sendFile(path, { maxAge: 0 });
    }

    app.get('/dashboard', options, serve);
    app.get('/dashboard/*', options, serve);
  };
}
