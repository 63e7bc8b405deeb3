import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError, defaultPoolSize, loadConfig } from '../src/config.ts';

const key = () => randomBytes(32).toString('base64');

function configError(env: Record<string, string>, variable: string): ConfigError {
  try {
    loadConfig(env, '/srv/twofa');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.equal(error.variable, variable);
    assert.ok(error.message.startsWith(variable), error.message);
    return error;
  }
  assert.fail(`expected ${variable} to be refused`);
}

test('defaults', () => {
  const config = loadConfig({}, '/srv/twofa');
  assert.deepEqual(config, {
    host: '127.0.0.1',
    port: 3000,
    dataDir: '/srv/twofa/data',
    databaseUrl: undefined,
    sqliteSynchronous: 'normal',
    publicUrl: 'http://127.0.0.1:3000',
    behindTlsProxy: false,
    trustedProxies: [],
    clientRequestsPerMinute: 30,
    secureCookies: false,
    issuer: 'twofa',
    totpWindow: 1,
    masterKey: undefined,
    sessionIdleMinutes: 30,
    sessionAbsoluteHours: 12,
    logRequests: true,
    workers: availableParallelism(),
    databasePoolSize: defaultPoolSize(availableParallelism()),
    databaseQueryTimeoutMs: 5000,
    smtpUrl: undefined,
    mailFrom: 'twofa <no-reply@127.0.0.1>',
    smsWebhookUrl: undefined,
    smsWebhookSecret: undefined,
    recoveryDelayHours: 72,
  });
});

test('every variable is read', () => {
  const masterKey = `k2:${key()},k1:${key()}`;
  const config = loadConfig(
    {
      TWOFA_HOST: '0.0.0.0',
      TWOFA_PORT: '8080',
      TWOFA_DATA_DIR: '/var/lib/twofa',
      TWOFA_DATABASE_URL: 'postgresql://app@db:5432/twofa',
      TWOFA_SQLITE_SYNCHRONOUS: 'FULL',
      TWOFA_PUBLIC_URL: 'https://2fa.example.com/',
      TWOFA_BEHIND_TLS_PROXY: '1',
      TWOFA_ISSUER: 'Example Corp',
      TWOFA_TOTP_WINDOW: '0',
      TWOFA_MASTER_KEY: masterKey,
      TWOFA_SESSION_IDLE_MINUTES: '15',
      TWOFA_SESSION_ABSOLUTE_HOURS: '8',
      TWOFA_LOG: '0',
      TWOFA_WORKERS: '3',
      TWOFA_DATABASE_POOL_SIZE: '7',
      TWOFA_DATABASE_QUERY_TIMEOUT_MS: '2500',
      TWOFA_SMTP_URL: 'smtps://mailer:pw@smtp.example.com:465',
      TWOFA_MAIL_FROM: 'Example <security@example.com>',
      TWOFA_SMS_WEBHOOK_URL: 'https://sms.example.com/hook',
      TWOFA_SMS_WEBHOOK_SECRET: 'x'.repeat(32),
      TWOFA_RECOVERY_DELAY_HOURS: '24',
      TWOFA_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      TWOFA_CLIENT_REQUESTS_PER_MINUTE: '120',
    },
    '/srv/twofa',
  );
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 8080,
    dataDir: '/var/lib/twofa',
    databaseUrl: 'postgresql://app@db:5432/twofa',
    sqliteSynchronous: 'full',
    publicUrl: 'https://2fa.example.com',
    behindTlsProxy: true,
    trustedProxies: ['10.0.0.0/8', '::1/128'],
    clientRequestsPerMinute: 120,
    secureCookies: true,
    issuer: 'Example Corp',
    totpWindow: 0,
    masterKey,
    sessionIdleMinutes: 15,
    sessionAbsoluteHours: 8,
    logRequests: false,
    workers: 3,
    databasePoolSize: 7,
    databaseQueryTimeoutMs: 2500,
    smtpUrl: 'smtps://mailer:pw@smtp.example.com:465',
    mailFrom: 'Example <security@example.com>',
    smsWebhookUrl: 'https://sms.example.com/hook',
    smsWebhookSecret: 'x'.repeat(32),
    recoveryDelayHours: 24,
  });
});

test('workers and pool size: the default pool shares 10 connections among the workers, at least 2 each', () => {
  assert.equal(loadConfig({ TWOFA_WORKERS: '1' }).databasePoolSize, 10);
  assert.equal(loadConfig({ TWOFA_WORKERS: '2' }).databasePoolSize, 5);
  assert.equal(loadConfig({ TWOFA_WORKERS: '3' }).databasePoolSize, 4);
  assert.equal(loadConfig({ TWOFA_WORKERS: '16' }).databasePoolSize, 2);
  assert.equal(loadConfig({ TWOFA_WORKERS: '4', TWOFA_DATABASE_POOL_SIZE: '1' }).databasePoolSize, 1);
  for (const value of ['0', '257', 'all', '-1', '1.5'])
    configError({ TWOFA_WORKERS: value }, 'TWOFA_WORKERS');
  for (const value of ['0', '1001', 'ten']) {
    configError({ TWOFA_DATABASE_POOL_SIZE: value }, 'TWOFA_DATABASE_POOL_SIZE');
  }
});

test('trusted proxies: CIDRs or addresses, IPv4 and IPv6; anything else names the variable', () => {
  assert.deepEqual(loadConfig({ TWOFA_TRUSTED_PROXIES: '192.0.2.7,2001:db8::/32' }).trustedProxies, [
    '192.0.2.7/32',
    '2001:db8::/32',
  ]);
  for (const value of [
    '10.0.0.0/33',
    'proxy.example.com',
    '10.0.0.0/8/1',
    '::1/129',
    '10.0.0.0/x',
    '10.0.0/8',
  ]) {
    configError({ TWOFA_TRUSTED_PROXIES: value }, 'TWOFA_TRUSTED_PROXIES');
  }
  assert.equal(loadConfig({ TWOFA_CLIENT_REQUESTS_PER_MINUTE: '0' }).clientRequestsPerMinute, 0);
  for (const value of ['-1', 'many', '1.5']) {
    configError({ TWOFA_CLIENT_REQUESTS_PER_MINUTE: value }, 'TWOFA_CLIENT_REQUESTS_PER_MINUTE');
  }
});

test('query timeout: milliseconds from 0 (no bound) to 10 minutes, anything else names the variable', () => {
  assert.equal(loadConfig({ TWOFA_DATABASE_QUERY_TIMEOUT_MS: '0' }).databaseQueryTimeoutMs, 0);
  assert.equal(loadConfig({ TWOFA_DATABASE_QUERY_TIMEOUT_MS: '600000' }).databaseQueryTimeoutMs, 600_000);
  for (const value of ['600001', '5s', '-1', '1.5', 'never']) {
    configError({ TWOFA_DATABASE_QUERY_TIMEOUT_MS: value }, 'TWOFA_DATABASE_QUERY_TIMEOUT_MS');
  }
});

test('the data dir resolves against cwd; empty variables count as unset', () => {
  const config = loadConfig({ TWOFA_DATA_DIR: 'state', TWOFA_PORT: '', TWOFA_ISSUER: '  ' }, '/home/me');
  assert.equal(config.dataDir, '/home/me/state');
  assert.equal(config.port, 3000);
  assert.equal(config.issuer, 'twofa');
});

test('public URL: default follows host and port (IPv6 bracketed); https or a TLS proxy makes cookies Secure', () => {
  assert.equal(loadConfig({ TWOFA_HOST: '::1', TWOFA_PORT: '0' }).publicUrl, 'http://[::1]:0');
  assert.equal(loadConfig({ TWOFA_PUBLIC_URL: 'https://a.example' }).secureCookies, true);
  assert.equal(loadConfig({ TWOFA_PUBLIC_URL: 'http://a.example' }).secureCookies, false);
  assert.equal(loadConfig({ TWOFA_BEHIND_TLS_PROXY: 'true' }).secureCookies, true);
  assert.equal(loadConfig({ TWOFA_PUBLIC_URL: 'http://a.example/' }).publicUrl, 'http://a.example');
  assert.equal(
    loadConfig({ TWOFA_PUBLIC_URL: 'https://a.example:8443' }).publicUrl,
    'https://a.example:8443',
  );
});

test('public URL: an origin only; a path is refused (the pages cannot be served under one)', () => {
  for (const value of [
    'https://example.com/2fa',
    'https://example.com/2fa/',
    'http://a.example/twofa/',
    'https://example.com//',
    'https://example.com/%2F',
  ]) {
    const error = configError({ TWOFA_PUBLIC_URL: value }, 'TWOFA_PUBLIC_URL');
    assert.match(error.message, /path/, value);
    assert.ok(!error.message.includes('example'), 'the value is not echoed');
  }
});

test('bad values name the variable', () => {
  configError({ TWOFA_PORT: '70000' }, 'TWOFA_PORT');
  configError({ TWOFA_PORT: '80a' }, 'TWOFA_PORT');
  configError({ TWOFA_PORT: '-1' }, 'TWOFA_PORT');
  configError({ TWOFA_DATABASE_URL: 'mysql://x' }, 'TWOFA_DATABASE_URL');
  configError({ TWOFA_DATABASE_URL: 'sqlite:./x.db' }, 'TWOFA_DATABASE_URL');
  configError({ TWOFA_PUBLIC_URL: 'example.com' }, 'TWOFA_PUBLIC_URL');
  configError({ TWOFA_PUBLIC_URL: 'ftp://example.com' }, 'TWOFA_PUBLIC_URL');
  configError({ TWOFA_PUBLIC_URL: 'https://example.com/?a=1' }, 'TWOFA_PUBLIC_URL');
  configError({ TWOFA_BEHIND_TLS_PROXY: 'maybe' }, 'TWOFA_BEHIND_TLS_PROXY');
  configError({ TWOFA_ISSUER: 'Acme:Corp' }, 'TWOFA_ISSUER');
  configError({ TWOFA_TOTP_WINDOW: '11' }, 'TWOFA_TOTP_WINDOW');
  configError({ TWOFA_TOTP_WINDOW: '1.5' }, 'TWOFA_TOTP_WINDOW');
  configError({ TWOFA_SESSION_IDLE_MINUTES: '0' }, 'TWOFA_SESSION_IDLE_MINUTES');
  configError({ TWOFA_SESSION_ABSOLUTE_HOURS: 'x' }, 'TWOFA_SESSION_ABSOLUTE_HOURS');
  configError({ TWOFA_LOG: '2' }, 'TWOFA_LOG');
  // OFF is a real SQLite level, and not offered: a crash of the process could corrupt the database.
  configError({ TWOFA_SQLITE_SYNCHRONOUS: 'off' }, 'TWOFA_SQLITE_SYNCHRONOUS');
  configError({ TWOFA_RECOVERY_DELAY_HOURS: '0' }, 'TWOFA_RECOVERY_DELAY_HOURS');
  configError({ TWOFA_SMTP_URL: 'http://mail.example.com' }, 'TWOFA_SMTP_URL');
  configError({ TWOFA_SMTP_URL: 'smtp://' }, 'TWOFA_SMTP_URL');
  configError({ TWOFA_MAIL_FROM: 'nobody' }, 'TWOFA_MAIL_FROM');
  configError({ TWOFA_SMS_WEBHOOK_URL: 'ftp://sms.example.com' }, 'TWOFA_SMS_WEBHOOK_URL');
  configError({ TWOFA_SMS_WEBHOOK_URL: 'https://sms.example.com' }, 'TWOFA_SMS_WEBHOOK_SECRET');
  configError(
    { TWOFA_SMS_WEBHOOK_URL: 'https://sms.example.com', TWOFA_SMS_WEBHOOK_SECRET: 'short' },
    'TWOFA_SMS_WEBHOOK_SECRET',
  );
});

test('a bad master key is refused without echoing it', () => {
  const short = randomBytes(16).toString('base64');
  const good = key();
  for (const value of [short, `a b:${good}`, `k1:${good},k1:${key()}`, `k1:${good}!`, ',']) {
    const error = configError({ TWOFA_MASTER_KEY: value }, 'TWOFA_MASTER_KEY');
    for (const part of value.split(/[,:]/).filter((p) => p.length > 8)) {
      assert.ok(!error.message.includes(part), `message echoes key material: ${error.message}`);
    }
  }
  // URL-safe base64 and unpadded forms are accepted.
  const urlSafe = randomBytes(32).toString('base64url');
  assert.equal(loadConfig({ TWOFA_MASTER_KEY: urlSafe }).masterKey, urlSafe);
});
