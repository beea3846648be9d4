import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from './context.js';
import { StoreUnavailableError } from '../store/port.js';
import { ApiError, ValidationFailed } from './errors.js';
import { findNulString, registerJsonBodyParser } from './json-body.js';
import { validatorCompiler } from './validation.js';
import { registerIdempotency } from './plugins/idempotency.js';
import { registerRateLimit } from './plugins/rate-limit.js';
import { registerAuthentication } from './plugins/authentication.js';
import { assignRouteScope } from './access.js';
import { registerAudit } from './plugins/audit.js';
import { apiKeyRoutes } from './api-key/routes.js';
import { auditRoutes } from './audit/routes.js';
import { oauthRoutes } from './oauth/routes.js';
import { oauthClientRoutes } from './oauth-client/routes.js';
import { applicationRoutes } from './application/routes.js';
import { endpointRoutes } from './endpoint/routes.js';
import { messageRoutes } from './message/routes.js';
import { attemptRoutes } from './attempt/routes.js';
import { eventTypeRoutes } from './event-type/routes.js';
import { authRoutes } from './auth/routes.js';
import { healthRoutes } from './health/routes.js';
import { backgroundTaskRoutes } from './background-task/routes.js';
import { inboundEventRoutes } from './ingest/event-routes.js';
import { sourceEndpointScope, sourceRoutes } from './ingest/source-routes.js';
import { receiveRoutes } from './receive/routes.js';
import { metricsRoutes } from './metrics/routes.js';
import { statsRoutes } from './stats/routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { RequestLogController, registerRequestObservability } from './plugins/observability.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's own client errors, renamed into stable codes of ours. */
const fastifyErrorCodes: Record<string, { status: number; code: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json' },
};

export type HookyardServer = FastifyInstance;

/** Builds the HTTP application without listening, so tests and the CLI decide how to serve it. */
export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    requestIdHeader: false,
    logController: new RequestLogController(),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  registerJsonBodyParser(app);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), public: true };
  });

  app.addHook('onRoute', assignRouteScope);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerRequestObservability(app, deps.metrics);
  registerAuthentication(app, {
    authenticator: deps.authenticator,
    applications: deps.store,
    limiter: deps.coordination.rateLimiter,
    failuresPerMinute: deps.config.authFailureLimit,
    now: deps.now,
  });
  registerAudit(app, { store: deps.store, logger: deps.logger, now: deps.now });
  registerRateLimit(app, { limiter: deps.coordination.rateLimiter, perCredential: deps.config.apiRateLimit, perAddress: deps.config.publicRateLimit, now: deps.now });

  app.addHook('preValidation', async (request) => {
    // Raw bodies (received webhooks) are stored byte for byte; only parsed JSON is checked for NUL characters.
    if (request.body === undefined || request.body === null || Buffer.isBuffer(request.body)) return;
    const path = findNulString(request.body);
    if (path) throw new ValidationFailed([{ loc: ['body', ...path], msg: 'NUL characters are not allowed', type: 'value_error.nul' }]);
  });

  app.setErrorHandler((error: FastifyError | ApiError | ValidationFailed, request, reply) => {
    if (error instanceof ValidationFailed) return reply.code(422).send({ detail: error.issues });
    if (error instanceof ApiError) return reply.code(error.statusCode).send({ code: error.code, detail: error.detail });
    if (error instanceof StoreUnavailableError) {
      // Nothing of this request was committed; a retry once the store is back is safe.
      request.log.warn({ reason: error.reason }, 'store unavailable');
      return reply.code(503).header('retry-after', '1').send({ code: 'store_unavailable', detail: 'The store is unavailable; retry shortly.' });
    }
    const known = fastifyErrorCodes[(error as FastifyError).code];
    if (known) return reply.code(known.status).send({ code: known.code, detail: error.message });
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ code: 'bad_request', detail: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ code: 'server_error', detail: 'Internal Server Error' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ code: 'not_found', detail: `No route for ${request.method} ${request.url.split('?')[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hookyard API',
        version: '1.0.0',
        description: 'Webhook gateway. Wire-compatible with the Svix server API (`/api/v1`), with extensions.',
      },
      components: { securitySchemes: { HTTPBearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ HTTPBearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(metricsRoutes(deps));
  await app.register(async (v1) => {
    await v1.register(healthRoutes(deps));
    // A worker process serves health checks only; the API is the api and all roles' business.
    if (deps.config.role === 'worker') return;
    registerIdempotency(v1, { store: deps.store, secretBox: deps.secretBox, now: deps.now });
    await v1.register(applicationRoutes(deps));
    await v1.register(endpointRoutes(deps));
    await v1.register(messageRoutes(deps));
    await v1.register(attemptRoutes(deps));
    await v1.register(eventTypeRoutes(deps));
    await v1.register(authRoutes(deps));
    await v1.register(backgroundTaskRoutes(deps));
    await v1.register(statsRoutes(deps));
    await v1.register(apiKeyRoutes(deps));
    await v1.register(auditRoutes(deps));
    await v1.register(oauthClientRoutes(deps));
    v1.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  }, { prefix: '/api/v1' });

  if (deps.config.role !== 'worker') {
    // The Svix Ingest API: sources, their destinations (endpoints owned by the source) and, as an extension, events.
    await app.register(async (ingest) => {
      registerIdempotency(ingest, { store: deps.store, secretBox: deps.secretBox, now: deps.now });
      await ingest.register(sourceRoutes(deps));
      await ingest.register(endpointRoutes(deps, sourceEndpointScope(deps)));
      await ingest.register(inboundEventRoutes(deps));
    }, { prefix: '/ingest/api/v1' });
    await app.register(receiveRoutes(deps));
    await app.register(oauthRoutes(deps));
    await app.register(dashboardRoutes(deps));
  }

  return app;
}
