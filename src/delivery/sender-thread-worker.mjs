// The thread side of ThreadedSender (sender-thread.ts): runs the HTTP exchanges it is handed with a Sender of its
// own and hands the results back, a batch per turn of its event loop. Plain JavaScript because worker threads do not
// inherit the TypeScript loader; it registers the loader itself before loading the sender.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { Sender } = await import('./sender.ts');
const sender = new Sender(workerData.options);

/** Abort controllers of the exchanges under way, by request number. */
const running = new Map();
let outbox = [];

function flush() {
  const results = outbox;
  outbox = [];
  parentPort.postMessage({ kind: 'results', results });
}

function finished(id, result) {
  running.delete(id);
  if (outbox.length === 0) setImmediate(flush);
  outbox.push([id, result]);
}

parentPort.on('message', (message) => {
  if (message.kind === 'send') {
    for (const request of message.requests) {
      const controller = new AbortController();
      running.set(request.id, controller);
      sender.send({ ...request, signal: controller.signal }).then(
        (result) => finished(request.id, result),
        (error) => finished(request.id, { kind: 'failed', stage: 'during', reason: 'other', detail: String(error?.message ?? error), durationMs: 0, requestHeaders: null }),
      );
    }
  } else if (message.kind === 'abort') {
    for (const id of message.ids) running.get(id)?.abort();
  } else if (message.kind === 'close') {
    void sender.close().finally(() => parentPort.close());
  }
});
parentPort.postMessage({ kind: 'ready' });
