import { Worker } from 'node:worker_threads';
import { Sender, type RequestSender, type SendRequest, type SendResult, type SenderOptions } from './sender.js';

interface Pending {
  resolve: (result: SendResult) => void;
  signal: AbortSignal | undefined;
}

type OutgoingRequest = Omit<SendRequest, 'signal'> & { id: number };

type FromThread = { kind: 'ready' } | { kind: 'results'; results: Array<[number, SendResult]> };

/**
 * Runs the HTTP exchanges of deliveries, signing included, on a worker thread, so that the event loop serving the
 * API and the store spends no time in the HTTP client or on signatures: on a machine with a core to spare,
 * deliveries then go out faster than one thread could send them.
 *
 * Requests and results cross between the threads in batches, one message per turn of either event loop whatever
 * the number of exchanges in it: handing each exchange over on its own costs more than the exchange.
 *
 * Should the thread die, the exchanges it was running fail (stage `during`: they may have reached the endpoint, so
 * they are retried like any lost connection) and later ones run on this thread.
 */
export class ThreadedSender implements RequestSender {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private outbox: OutgoingRequest[] = [];
  private nextId = 1;
  private readonly watchedSignals = new WeakSet<AbortSignal>();
  private fallback: Sender | null = null;
  private closing = false;

  constructor(private readonly options: SenderOptions) {
    this.worker = new Worker(new URL('./sender-thread-worker.mjs', import.meta.url), { workerData: { options } });
    this.worker.unref();
    this.worker.on('message', (message: FromThread) => {
      if (message.kind === 'results') for (const [id, result] of message.results) this.settle(id, result);
    });
    this.worker.on('error', (error) => this.stopped(`sender thread failed: ${error.message}`));
    this.worker.on('exit', () => this.stopped('sender thread exited'));
  }

  send(input: SendRequest): Promise<SendResult> {
    if (this.fallback) return this.fallback.send(input);
    return new Promise<SendResult>((resolve) => {
      const id = this.nextId++;
      // The thread keeps the process alive only while it has exchanges under way.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, signal: input.signal });
      if (input.signal) this.watch(input.signal);
      if (this.outbox.length === 0) setImmediate(() => this.flush());
      this.outbox.push({ id, url: input.url, headers: input.headers, body: input.body, signing: input.signing ?? null, contentType: input.contentType ?? null });
    });
  }

  private flush(): void {
    const requests = this.outbox;
    this.outbox = [];
    if (requests.length > 0) this.worker.postMessage({ kind: 'send', requests });
  }

  /** One listener per signal (the delivery worker passes the same one to every send), not one per exchange. */
  private watch(signal: AbortSignal): void {
    if (this.watchedSignals.has(signal)) return;
    this.watchedSignals.add(signal);
    signal.addEventListener(
      'abort',
      () => {
        const ids = [...this.pending].filter(([, pending]) => pending.signal === signal).map(([id]) => id);
        this.flush();
        if (ids.length > 0) this.worker.postMessage({ kind: 'abort', ids });
      },
      { once: true },
    );
  }

  private settle(id: number, result: SendResult): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    pending.resolve(result);
  }

  private stopped(detail: string): void {
    this.fallback ??= new Sender(this.options);
    this.outbox = [];
    const reason = this.closing ? 'aborted' : 'other';
    for (const id of [...this.pending.keys()]) this.settle(id, { kind: 'failed', stage: 'during', reason, detail, durationMs: 0, requestHeaders: null });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.flush();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ kind: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
    await this.fallback?.close();
  }
}
