import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { principalOf, type ApiDeps } from '../context.js';
import { notFound } from '../errors.js';
import { BackgroundTaskOut } from '../ingest/schemas.js';
import { errorResponses, iso } from '../shared-schemas.js';

/** How a background task (endpoint recovery, inbound replay) is doing: Svix's `/background-task/{task_id}`. */
export function backgroundTaskRoutes(deps: ApiDeps): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/background-task/:task_id',
      {
        schema: {
          tags: ['Background Task'],
          operationId: 'v1.background-task.get',
          summary: 'Get a background task',
          params: Type.Object({ task_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^qtask_[A-Za-z0-9]+$' }) }),
          response: { 200: BackgroundTaskOut, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const task = await deps.store.getBackgroundTask(request.params.task_id);
        // A confined credential sees only its application's tasks, and cannot tell others' from missing ones.
        if (!task || (principal.appId !== null && principal.appId !== task.appId)) throw notFound();
        return { id: task.id, status: task.status, task: task.kind, data: task.result, updatedAt: iso(task.updatedAt) };
      },
    );
  };
}
