/**
 * The no-storage limit: a route that forwards each published message straight to its destinations and answers once
 * they have. Nothing is stored, queued, retried or signed: the most a gateway on this machine could possibly do.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Agent, request } from 'undici';

const agent = new Agent({ connections: 256 });
const targets = new Map<string, string[]>();
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

app.post<{ Body: { destinations: string[] } }>('/targets', async (req) => {
  const id = randomBytes(6).toString('hex');
  targets.set(id, req.body.destinations);
  return { id };
});

app.post<{ Params: { target: string }; Body: { payload: unknown } }>('/publish/:target', async (req, reply) => {
  const destinations = targets.get(req.params.target) ?? [];
  const body = JSON.stringify(req.body.payload);
  await Promise.all(
    destinations.map(async (url) => {
      const response = await request(url, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body });
      await response.body.dump();
    }),
  );
  return reply.code(202).send({ ok: true });
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`limit listening on ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
