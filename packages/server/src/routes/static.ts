/**
 * GET /static/app.css, /static/copy.js and /static/print.js: the only files, read once at start from src/static. A fixed
 * table, not a directory handler, so no path from the URL ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from '../context.ts';

const STATIC_DIR = join(import.meta.dirname, '..', 'static');

const FILES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'copy.js': 'text/javascript; charset=utf-8',
  'print.js': 'text/javascript; charset=utf-8',
};

export function staticRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  for (const [name, type] of Object.entries(FILES)) {
    const body = readFileSync(join(STATIC_DIR, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    routes.get(`/static/${name}`, (c) => {
      // Revalidate every time (cheap: a 304) so an upgrade never serves a stale script next to new pages.
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: etag };
      if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
      return c.body(new Uint8Array(body), 200, headers);
    });
  }
  return routes;
}
