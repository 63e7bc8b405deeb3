/**
 * A system under test as a child process: started with its own environment, ready once a line on its stdout
 * or stderr matches, stopped with SIGTERM (then SIGKILL after a grace period). Output is kept only for the
 * start-up error message, and drained so a chatty child never blocks on a full pipe.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface RunningChild {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartChildOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Ready when a line of output matches. */
  readonly ready: RegExp;
  /** @default 20000 */
  readonly timeoutMs?: number;
}

const STOP_GRACE_MS = 5000;
const KEPT_OUTPUT_CHARS = 2000;

export async function startChild(options: StartChildOptions): Promise<RunningChild> {
  const child = spawn(options.command, options.args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`not ready within ${options.timeoutMs ?? 20_000} ms`),
      options.timeoutMs ?? 20_000,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name}: ${why}; output: ${output.trim().slice(-KEPT_OUTPUT_CHARS)}`));
    };
    const onData = (chunk: Buffer) => {
      if (ready) return;
      output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
      if (options.ready.test(output)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited (${signal ?? code}) before it was ready`);
    });
  });
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
