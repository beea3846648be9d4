import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** A real Hookyard in a child process, so that it can be killed the way a machine or an OOM killer would. */
export interface HookyardProcess {
  process: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** The admin API, as a client of this process; throws on a non-2xx answer. */
  api(method: string, path: string, body?: unknown): Promise<any>;
  /** The raw answer, whatever its status. */
  fetch(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function adminTokenForTests(): string {
  return `hy_admin_proc_${randomBytes(16).toString('hex')}`;
}

/** Starts `hookyard <args>` (default `start`) with `env` on top of this process's, and waits until it listens. */
export async function startHookyardProcess(env: Record<string, string>, args: string[] = ['start']): Promise<HookyardProcess> {
  const child = spawn(process.execPath, ['bin/hookyard.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Hookyard listening on (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`hookyard exited (${code}) before listening:\n${output}`)));
  });
  const token = env.HOOKYARD_ADMIN_TOKEN;

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  }

  return {
    process: child,
    url,
    exited,
    output: () => output,
    async api(method, path, body) {
      const answer = await call(method, path, body);
      assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${answer.text}`);
      return answer.body;
    },
    async fetch(method, path, body) {
      const { status, body: parsed } = await call(method, path, body);
      return { status, body: parsed };
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs `hookyard <args>` to completion; resolves its exit code and output. */
export function runHookyardCommand(env: Record<string, string>, args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/hookyard.mjs', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}
