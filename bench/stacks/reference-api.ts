/**
 * The reference stack's publish side, as most Node teams build it: a Fastify route that enqueues one BullMQ job per
 * destination on Redis and answers 202. Run as its own process by the benchmark.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Queue } from 'bullmq';

const redisUrl = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const queue = new Queue(process.env.BENCH_QUEUE!, { connection, prefix: process.env.BENCH_PREFIX });
const targets = new Map<string, string[]>();

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

app.post<{ Body: { destinations: string[] } }>('/targets', async (request) => {
  const id = randomBytes(6).toString('hex');
  targets.set(id, request.body.destinations);
  return { id };
});

app.post<{ Params: { target: string }; Body: { eventType: string; payload: unknown } }>('/publish/:target', async (request, reply) => {
  const destinations = targets.get(request.params.target);
  if (!destinations) return reply.code(404).send({ error: 'no such target' });
  const msgId = `msg_${randomBytes(12).toString('hex')}`;
  const body = JSON.stringify(request.body.payload);
  await queue.addBulk(
    destinations.map((url) => ({
      name: 'deliver',
      data: { msgId, url, body },
      opts: { attempts: 8, backoff: { type: 'exponential', delay: Number(process.env.BENCH_BACKOFF_MS ?? 5000) }, removeOnComplete: true, removeOnFail: 1000 },
    })),
  );
  return reply.code(202).send({ id: msgId });
});

const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`reference api listening on ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => queue.close()).then(() => process.exit(0)));
