/**
 * Debian's nginx in front of several twofa instances, as the README's recipe has it: run in the foreground
 * (daemon off) with its prefix, config, pid, temp paths and error log in a temporary directory, on a free
 * port; stopped with SIGQUIT (graceful) or SIGKILL. `nginxMissing()` says why it cannot run here, if so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const NGINX = process.env.TWOFA_NGINX ?? '/usr/sbin/nginx';

/** Undefined when nginx can run; else the one-line reason. */
export function nginxMissing(): string | undefined {
  const probe = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  if (probe.error) return `nginx not found at ${NGINX} (apt-get install nginx, or set TWOFA_NGINX)`;
  return undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The recipe's configuration (README, "Many instances behind nginx"), with the paths of a temporary prefix.
 * `upstreams` are host:port of the twofa instances.
 */
export function nginxConfig(options: { port: number; upstreams: readonly string[]; prefix: string }): string {
  const { port, upstreams, prefix } = options;
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;

  upstream twofa {
${upstreams.map((upstream) => `    server ${upstream} max_fails=1 fail_timeout=5s;`).join('\n')}
    # No upstream keepalive: an instance that stops (SIGTERM) closes its idle connections, and a POST nginx
    # had just sent on one could not be resent (502). A new connection per request is refused instead, and
    # nginx tries the next instance; on loopback it costs little beside a code step.
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://twofa;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # An instance that refuses the connection or dies before answering: try the next one. A request that
      # was already sent is retried only if it is a GET (nginx never resends a POST: a code may be spent).
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 2s;
      proxy_read_timeout 30s;
    }
  }
}
`;
}

export interface RunningNginx {
  readonly url: string;
  readonly child: ChildProcess;
  /** What nginx wrote to its error log. */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts nginx on `port` in front of `upstreams`, which should be listening already (max_fails=1: an
 * instance that refuses nginx's first probe is left out for fail_timeout); ready once it answers.
 */
export async function startNginx(upstreams: readonly string[], port: number): Promise<RunningNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'twofa-nginx-'));
  const conf = join(prefix, 'nginx.conf');
  await writeFile(conf, nginxConfig({ port, upstreams, prefix }));
  const child = spawn(NGINX, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const errorLog = () => readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr} ${await errorLog()}`);
    try {
      await fetch(`${url}/healthz`);
      break;
    } catch {
      if (i > 100) throw new Error(`nginx not answering: ${stderr} ${await errorLog()}`);
      await sleep(50);
    }
  }
  return {
    url,
    child,
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      await rm(prefix, { recursive: true, force: true });
    },
  };
}
