// Threat: logs outlive the database and reach more people. One line per request, with the route pattern
// rather than the URL, and nothing from headers, cookies, query strings or bodies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/context.ts';
import { NO_ROUTE, requestLog } from '../../src/middleware/request-log/index.ts';

function appWith(enabled = true) {
  const lines: string[] = [];
  const app = new Hono<AppEnv>();
  app.use('*', requestLog({ log: enabled ? (line) => lines.push(line) : undefined, nowMs: () => 0 }));
  app.use('*', async (_c, next) => next()); // another middleware, as in the real app
  app.get('/items/:id', (c) => c.text(`item ${c.req.param('id')}`));
  app.post('/login', (c) => c.text('ok'));
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.onError((_e, c) => c.text('fault', 500));
  return { app, lines };
}

test('one JSON line: request id, method, route pattern, status, ms', async () => {
  const { app, lines } = appWith();
  const res = await app.request('/items/42?token=abc');
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(entry).sort(), [
    'event',
    'method',
    'ms',
    'requestId',
    'route',
    'status',
    'time',
  ]);
  assert.equal(entry.event, 'request');
  assert.equal(entry.method, 'GET');
  assert.equal(entry.route, '/items/:id');
  assert.equal(entry.status, 200);
  assert.equal(typeof entry.ms, 'number');
  assert.match(entry.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('x-request-id'), entry.requestId);
});

test('never the path values, query string, cookies, headers or body', async () => {
  const { app, lines } = appWith();
  await app.request('/items/secret-value?code=123456&password=hunter22', {
    headers: { Cookie: 'twofa_session=cookie-value', Authorization: 'Bearer header-value' },
  });
  await app.request('/login?next=x', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: 'twofa_session=cookie-value' },
    body: 'email=a%40b.c&password=body-password&code=654321',
  });
  const all = lines.join('\n');
  for (const leak of [
    'secret-value',
    '123456',
    'hunter22',
    'cookie-value',
    'header-value',
    'body-password',
    '654321',
    'a@b.c',
    '?',
  ]) {
    assert.ok(!all.includes(leak), `log contains ${leak}`);
  }
  assert.equal(lines.length, 2);
});

test('a 404 logs the route as (none); a fault logs its 500', async () => {
  const { app, lines } = appWith();
  await app.request('/nowhere/at/all');
  await app.request('/boom');
  const [missing, fault] = lines.map((line) => JSON.parse(line));
  assert.equal(missing.route, NO_ROUTE);
  assert.equal(missing.status, 404);
  assert.equal(fault.route, '/boom');
  assert.equal(fault.status, 500);
});

test('each request gets its own id', async () => {
  const { app, lines } = appWith();
  await app.request('/items/1');
  await app.request('/items/1');
  const ids = lines.map((line) => JSON.parse(line).requestId);
  assert.notEqual(ids[0], ids[1]);
});

test('turned off (TWOFA_LOG=0): no line, the request id header stays', async () => {
  const { app, lines } = appWith(false);
  const res = await app.request('/items/1');
  assert.equal(lines.length, 0);
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});
