/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench:server -- --cpu-prof DIR`): the share of
 * samples by where the time went (node:sqlite, pg, Kysely, Hono, web Request/Response, crypto, twofa's own
 * layers, GC, idle), and the hottest functions by self time. A native frame (no script) counts for the layer
 * that called it, so `StatementSync.run` called from the SQLite adapter counts as node:sqlite.
 *   node packages/server/bench/profile-summary.ts FILE.cpuprofile [--top N]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const RULES: ReadonlyArray<readonly [RegExp, string]> = [
  [/sqlite-dialect\.ts$/, 'node:sqlite (prepare, step)'],
  [/node_modules\/kysely\//, 'Kysely (build, compile, run)'],
  [/node_modules\/pg(-[a-z]+)?\//, 'pg driver'],
  [/node_modules\/@hono\/node-server\//, 'Hono node-server adapter'],
  [/node_modules\/hono\//, 'Hono'],
  [/node:internal\/deps\/undici|node:internal\/webstreams|node:internal\/url/, 'web Request/Response/URL'],
  [/node:internal\/crypto|node:crypto/, 'node:crypto'],
  [/node:_http|node:internal\/http|node:http/, 'node:http'],
  [/node:net|node:internal\/stream|node:stream|node:internal\/streams|node:internal\/net/, 'net, streams'],
  [/node:async_hooks|node:internal\/async_hooks/, 'async_hooks (request meta)'],
  [/packages\/otp\//, '@twofa/otp'],
  [/packages\/server\/src\/store\//, 'twofa store'],
  [/packages\/server\/src\/(services|crypto)\//, 'twofa services, crypto'],
  [/packages\/server\/src\//, 'twofa routes, middleware, views'],
  [/^node:/, 'node (other)'],
];

function categoryOfUrl(url: string): string | undefined {
  for (const [pattern, name] of RULES) if (pattern.test(url)) return name;
  return url === '' ? undefined : 'other scripts';
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' } },
});
const file = positionals[0];
if (file === undefined) {
  process.stderr.write('usage: node bench/profile-summary.ts FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

const categoryCache = new Map<number, string>();
function categoryOf(id: number): string {
  const cached = categoryCache.get(id);
  if (cached !== undefined) return cached;
  const node = byId.get(id) as ProfileNode;
  const name = node.callFrame.functionName;
  let category: string | undefined;
  if (name === '(idle)') category = '(idle)';
  else if (name === '(garbage collector)') category = 'GC';
  else if (name === '(program)') category = '(program: V8, native)';
  else category = categoryOfUrl(node.callFrame.url);
  if (category === undefined) {
    const parent = parentOf.get(id);
    category = parent === undefined ? '(native)' : categoryOf(parent);
  }
  categoryCache.set(id, category);
  return category;
}

const byCategory = new Map<string, number>();
const bySelf = new Map<string, number>();
for (const id of profile.samples) {
  const category = categoryOf(id);
  byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
  const frame = (byId.get(id) as ProfileNode).callFrame;
  const where =
    frame.url === ''
      ? category
      : `${frame.url.replace(/^.*\/(node_modules|packages)\//, '')}:${frame.lineNumber + 1}`;
  const key = `${frame.functionName || '(anonymous)'} ${where}`;
  bySelf.set(key, (bySelf.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const busy = total - (byCategory.get('(idle)') ?? 0);
const percent = (n: number, of: number) => `${((n / of) * 100).toFixed(1)}%`.padStart(6);
process.stdout.write(`${total} samples, ${percent(busy, total).trim()} busy; shares of busy samples:\n`);
for (const [category, n] of [...byCategory].sort(([, a], [, b]) => b - a)) {
  if (category !== '(idle)') process.stdout.write(`  ${percent(n, busy)}  ${category}\n`);
}
process.stdout.write(`\nhottest functions by self time (of busy samples):\n`);
const top = Number(values.top);
for (const [key, n] of [...bySelf].sort(([, a], [, b]) => b - a).slice(0, top + 1)) {
  if (!key.startsWith('(idle)')) process.stdout.write(`  ${percent(n, busy)}  ${key}\n`);
}
