/**
 * Threat: a forged address in the audit log. X-Forwarded-For is anyone's to write: it is read only when the
 * socket's peer is a trusted proxy, from the right (test/security/trusted-proxies.test.ts has the rules).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import { NO_TRUSTED_PROXIES, parseTrustedProxies } from '../../src/client-address.ts';
import type { AppEnv } from '../../src/context.ts';
import { requestMeta } from '../../src/middleware/request-meta/index.ts';
import type { RequestMeta } from '../../src/services/types.ts';

function appSeeing(trusted: string): { app: Hono<AppEnv>; seen: RequestMeta[] } {
  const seen: RequestMeta[] = [];
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', 'r-1');
    await next();
  });
  app.use(
    '*',
    requestMeta({
      trustedProxies: trusted === '' ? NO_TRUSTED_PROXIES : parseTrustedProxies(trusted),
      withRequest: async (meta, fn) => {
        seen.push(meta);
        return fn();
      },
    }),
  );
  app.get('/', (c) => c.text('ok'));
  return { app, seen };
}

const headers = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9', 'User-Agent': 'test-agent' };

test('without a trusted proxy, X-Forwarded-For is ignored (the socket address, none in-process)', async () => {
  const { app, seen } = appSeeing('');
  await app.request('/', { headers });
  assert.deepEqual(seen, [{ ip: null, userAgent: 'test-agent', requestId: 'r-1' }]);
});

test('behind a trusted proxy, the last X-Forwarded-For entry: the address the proxy saw', async () => {
  const { app, seen } = appSeeing('127.0.0.1/32');
  await app.request('/', { headers }, { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
  assert.equal(seen[0]?.ip, '203.0.113.9');
});
