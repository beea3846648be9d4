import { spawn, type ChildProcess } from 'node:child_process';

/** A stack's server process, started and waited for until it prints the line that says it listens. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

export async function startProcess(args: string[], env: Record<string, string>, listening: RegExp, cwd?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = listening.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => reject(new Error(`${args.join(' ')} exited before listening:\n${output.slice(-4000)}`)));
  });
  // Later output is drained so that a chatty child never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    child,
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
