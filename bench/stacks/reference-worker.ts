/**
 * The reference stack's delivery side: a BullMQ worker (concurrency 64) that signs each job's body with HMAC-SHA256
 * (Standard Webhooks headers) and POSTs it with undici; a non-2xx answer throws, so BullMQ retries with backoff.
 */
import { createHmac } from 'node:crypto';
import { Worker } from 'bullmq';
import { Agent, request } from 'undici';

const redisUrl = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection = { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) };
const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
const agent = new Agent({ connections: 256 });

const worker = new Worker<{ msgId: string; url: string; body: string }>(
  process.env.BENCH_QUEUE!,
  async (job) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', key).update(`${job.data.msgId}.${timestamp}.${job.data.body}`).digest('base64');
    const response = await request(job.data.url, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        'webhook-id': job.data.msgId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${signature}`,
      },
      body: job.data.body,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    await response.body.dump();
    if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`endpoint answered ${response.statusCode}`);
  },
  { connection, prefix: process.env.BENCH_PREFIX, concurrency: 64 },
);

await worker.waitUntilReady();
process.stdout.write('reference worker listening on ready\n');
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
