/**
 * The form reader shared by the CSRF check and the routes (src/middleware/form): urlencoded bodies parse as
 * browsers encode them (percent escapes, `+` for space, a repeated field keeps its last value), multipart
 * still works, other types carry no fields, and the body is read once for both readers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hono } from 'hono';
import type { AppEnv } from '../../src/context.ts';
import { formFields } from '../../src/middleware/form/index.ts';

function echoApp() {
  const app = new Hono<AppEnv>();
  app.post('/', async (c) => {
    const first = await formFields(c);
    const again = await formFields(c);
    return c.json({ same: first === again, fields: { ...first } });
  });
  return app;
}

async function post(body: BodyInit, contentType?: string) {
  const headers = contentType === undefined ? undefined : { 'content-type': contentType };
  const res = await echoApp().request('/', { method: 'POST', body, ...(headers ? { headers } : {}) });
  return (await res.json()) as { same: boolean; fields: Record<string, string> };
}

test('urlencoded: escapes, plus as space, the last of a repeated field; parsed once', async () => {
  const out = await post(
    'code=12%2034&csrf=a+b&csrf=c%2Bd&email=%C3%A9%40x.test',
    'application/x-www-form-urlencoded; charset=UTF-8',
  );
  assert.equal(out.same, true);
  assert.deepEqual(out.fields, { code: '12 34', csrf: 'c+d', email: 'é@x.test' });
});

test('multipart still parses; text/plain and JSON carry no fields', async () => {
  const form = new FormData();
  form.set('code', '123456');
  assert.deepEqual((await post(form)).fields, { code: '123456' });
  assert.deepEqual((await post('code=123456', 'text/plain')).fields, {});
  assert.deepEqual((await post('{"code":"123456"}', 'application/json')).fields, {});
});
