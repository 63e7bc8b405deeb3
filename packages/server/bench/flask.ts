/**
 * The peer: the tutorial's Flask app (flask-app.py) under gunicorn with 2 workers (gthread, 1 thread each),
 * when Python has flask and pyotp and gunicorn is installed (Debian: python3-flask python3-pyotp gunicorn).
 * Otherwise the bench skips it and says why in one line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RunningChild, startChild } from './child.ts';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const GUNICORN_WORKERS = 2;
/**
 * One thread per worker, as the default sync worker, but keeping connections alive: sync workers close each
 * connection after its response, and autocannon (keep-alive) then counts about a quarter of requests as
 * errors and reports latencies that cannot be (p50 770 ms at 2 connections and 1,660 req/s). With gthread
 * there are no errors and the rate is a little higher, so the peer is, if anything, flattered.
 */
const KEEP_ALIVE_WORKER = ['-k', 'gthread', '--threads', '1'];

/**
 * Why the Flask peer cannot run here, or undefined when it can. Flask and pyotp are looked for in the Python
 * that gunicorn runs (its #! line), not the first python3 on PATH (pyenv shims and the like differ).
 */
export function flaskUnavailable(): string | undefined {
  let gunicorn: string;
  try {
    gunicorn = execFileSync('sh', ['-c', 'command -v gunicorn'], { encoding: 'utf8' }).trim();
  } catch {
    return 'gunicorn not found (apt-get install gunicorn python3-flask python3-pyotp)';
  }
  const shebang =
    /^#!\s*(\S+)/.exec(readFileSync(gunicorn, 'utf8').split('\n', 1)[0] ?? '')?.[1] ?? 'python3';
  try {
    execFileSync(shebang, ['-c', 'import flask, pyotp'], { stdio: 'ignore' });
  } catch {
    return `${shebang} (gunicorn's Python) lacks flask or pyotp (apt-get install python3-flask python3-pyotp)`;
  }
  return undefined;
}

/** Starts gunicorn on the port; ready once every worker has booted. */
export async function startFlask(port: number, secretBase32: string): Promise<RunningChild> {
  return startChild({
    name: 'flask',
    command: 'gunicorn',
    args: [
      ...['-w', String(GUNICORN_WORKERS), ...KEEP_ALIVE_WORKER],
      ...['-b', `127.0.0.1:${port}`, '--chdir', BENCH_DIR, 'flask-app:app'],
    ],
    env: { ...process.env, BENCH_FLASK_SECRET: secretBase32 },
    ready: new RegExp(Array(GUNICORN_WORKERS).fill('Booting worker').join('[\\s\\S]*')),
  });
}
