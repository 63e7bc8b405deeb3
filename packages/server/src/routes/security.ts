/**
 * The security page and its forms: set up an authenticator app (begin, confirm), replace it, turn it off,
 * recovery codes (shown once, a new set), change the password, and the account's recent activity. Every route
 * needs a full session; a pending one is sent back to /login.
 */
import { encodeBase32 } from '@twofa/otp';
import { Hono } from 'hono';
import encodeQR from 'qr';
import type { AppDeps, AppEnv } from '../context.ts';
import { clearDeviceCookie, clearSessionCookie, setSessionCookie } from '../middleware/session/index.ts';
import { type OutcomeStatus, outcomeOf } from '../outcomes.ts';
import { RECOVERY_CODES_LOW } from '../services/limits.ts';
import type { EnrollmentView, SessionView } from '../services/types.ts';
import { recoveryCodesPage } from '../views/recovery-codes.ts';
import { type EnrollmentDisplay, type SecurityForm, securityPage } from '../views/security.ts';
import {
  frameFor,
  fullSession,
  type PageContext,
  readForm,
  render,
  seeOther,
  setRetryAfter,
} from './page.ts';

/** Messages after a successful post, chosen by a fixed key in the redirect URL (never free text). */
const DONE: Record<string, string> = {
  welcome: 'Your account is ready. Now protect it with an authenticator app.',
  'totp-on': 'Two-factor authentication is on. From now on, logging in asks for a code from your app.',
  'totp-replaced': 'Your new authenticator app is set up. Codes from the old one no longer work.',
  'totp-off': 'Two-factor authentication is off.',
  'totp-cancelled': 'The set-up is cancelled and its key discarded.',
  'recovery-new': 'Your new recovery codes are ready. The old ones no longer work.',
  password: 'Your password is changed. Other devices signed in to this account were signed out.',
  'email-verified': 'Your email address is confirmed.',
  'email-sent': 'A new message is on its way. The code and link in earlier messages no longer work.',
  'email-changed':
    'Your email address is changed. We sent the new address a message to confirm it; the old one was told.',
  'email-factor-on': 'Codes by email are on. Signing in can now use a code sent to your address.',
  'email-factor-off': 'Codes by email are off.',
  'email-code-sent': 'A code is on its way to your email address. It works once, within 10 minutes.',
  'phone-sent': 'A code is on its way to your phone. Enter it below to verify the number.',
  'phone-verified': 'Your phone number is verified.',
  'sms-factor-on': 'Codes by text message are on. Signing in can now use a code texted to your phone.',
  'sms-factor-off': 'Codes by text message are off.',
  'sms-code-sent': 'A code is on its way to your phone. It works once, within 10 minutes.',
  'device-revoked': 'The device is no longer trusted: signing in there asks for your code again.',
  'token-on': 'Your hardware token is registered. Signing in can now use a code from it.',
  'token-off': 'Your hardware token is removed. Its codes no longer work.',
  recovered:
    'Account recovery is complete: the lost second factors were removed. Set up a new authenticator app now.',
  'recovery-cancelled': 'The account recovery is cancelled. Your second factors stay as they are.',
};

export function securityRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();

  // A pending (password-only) session must not reach any of these: it grants nothing but the code step.
  routes.use('/security', guard);
  routes.use('/security/*', guard);

  routes.get('/security', async (c) => {
    const done = c.req.query('done');
    // Own keys only: `constructor` or `toString` would otherwise find Object.prototype's and show its text.
    const notice = done !== undefined && Object.hasOwn(DONE, done) ? DONE[done] : undefined;
    return showPage(c, signedIn(c), { notice });
  });

  routes.post('/security/totp/begin', async (c) => {
    const session = signedIn(c);
    try {
      await services.totp.beginEnrollment(session.userId);
    } catch (error) {
      return showFormError(c, session, 'begin', error);
    }
    return seeOther(c, '/security');
  });

  routes.post('/security/totp/confirm', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'password', 'code');
    const user = await services.accounts.getUser(session.userId);
    if (!user) return seeOther(c, '/login');
    const done = user.totpEnabled ? 'totp-replaced' : 'totp-on';
    let recoveryCodes: readonly string[] | null;
    try {
      ({ recoveryCodes } = await services.totp.confirmEnrollment({
        userId: session.userId,
        password: form.password,
        code: form.code,
      }));
    } catch (error) {
      return showFormError(c, session, 'confirm', error);
    }
    if (recoveryCodes === null) return seeOther(c, `/security?done=${done}`);
    // Shown once, in this response: never stored in clear, never in a URL, never cached.
    return showRecoveryCodes(c, user.email, recoveryCodes, done);
  });

  // Idempotent: a set-up already cancelled (another tab) or expired ends in the same place.
  routes.post('/security/totp/cancel', async (c) => {
    await services.totp.cancelEnrollment(signedIn(c).userId);
    return seeOther(c, '/security?done=totp-cancelled');
  });

  routes.post('/security/totp/disable', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'password', 'code');
    try {
      await services.totp.disable({
        userId: session.userId,
        password: form.password,
        code: form.code,
      });
    } catch (error) {
      return showFormError(c, session, 'disable', error);
    }
    return seeOther(c, '/security?done=totp-off');
  });

  routes.post('/security/totp/replace', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'password', 'code');
    try {
      await services.totp.beginReplacement({
        userId: session.userId,
        password: form.password,
        code: form.code,
      });
    } catch (error) {
      return showFormError(c, session, 'replace', error);
    }
    return seeOther(c, '/security');
  });

  routes.post('/security/recovery/regenerate', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'password', 'code');
    const user = await services.accounts.getUser(session.userId);
    if (!user) return seeOther(c, '/login');
    let codes: readonly string[];
    try {
      codes = await services.recovery.regenerate({
        userId: session.userId,
        password: form.password,
        code: form.code,
      });
    } catch (error) {
      return showFormError(c, session, 'recovery', error);
    }
    return showRecoveryCodes(c, user.email, codes, 'recovery-new');
  });

  // "I have saved my recovery codes": the codes page's way on. Only a known notice key travels.
  routes.post('/security/recovery/saved', async (c) => {
    const form = await readForm(c, 'done');
    const done = Object.hasOwn(DONE, form.done) ? form.done : 'recovery-new';
    return seeOther(c, `/security?done=${done}`);
  });

  routes.post('/security/email/code', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'code');
    try {
      await services.emailVerification.verifyCode({ userId: session.userId, code: form.code });
    } catch (error) {
      return showFormError(c, session, 'email', error);
    }
    return seeOther(c, '/security?done=email-verified');
  });

  routes.post('/security/email/change', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'newEmail', 'password', 'code');
    try {
      await services.accounts.changeEmail({ userId: session.userId, ...form });
    } catch (error) {
      return showFormError(c, session, 'email-change', error);
    }
    return seeOther(c, '/security?done=email-changed');
  });

  routes.post('/security/email/resend', async (c) => {
    const session = signedIn(c);
    try {
      await services.emailVerification.resend(session.userId);
    } catch (error) {
      return showFormError(c, session, 'email', error);
    }
    return seeOther(c, '/security?done=email-sent');
  });

  // Codes by email and by text message: the same three forms each.
  for (const channel of ['email', 'sms'] as const) {
    const factor = channel === 'email' ? services.emailFactor : services.smsFactor;
    const form: SecurityForm = `${channel}-factor`;

    routes.post(`/security/${channel}-factor/enable`, async (c) => {
      const session = signedIn(c);
      const { password } = await readForm(c, 'password');
      const user = await services.accounts.getUser(session.userId);
      if (!user) return seeOther(c, '/login');
      let recoveryCodes: readonly string[] | null;
      try {
        ({ recoveryCodes } = await factor.enable({ userId: session.userId, password }));
      } catch (error) {
        return showFormError(c, session, form, error);
      }
      if (recoveryCodes === null) return seeOther(c, `/security?done=${channel}-factor-on`);
      return showRecoveryCodes(c, user.email, recoveryCodes, `${channel}-factor-on`);
    });

    routes.post(`/security/${channel}-factor/disable`, async (c) => {
      const session = signedIn(c);
      const fields = await readForm(c, 'password', 'code');
      try {
        await factor.disable({ userId: session.userId, ...fields });
      } catch (error) {
        return showFormError(c, session, form, error);
      }
      return seeOther(c, `/security?done=${channel}-factor-off`);
    });

    routes.post(`/security/${channel}-factor/send`, async (c) => {
      const session = signedIn(c);
      try {
        await factor.sendCode(session.userId);
      } catch (error) {
        return showFormError(c, session, form, error);
      }
      return seeOther(c, `/security?done=${channel}-code-sent`);
    });
  }

  routes.post('/security/token/register', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'key', 'code', 'nextCode', 'password');
    const user = await services.accounts.getUser(session.userId);
    if (!user) return seeOther(c, '/login');
    let recoveryCodes: readonly string[] | null;
    try {
      ({ recoveryCodes } = await services.hardwareToken.register({ userId: session.userId, ...form }));
    } catch (error) {
      return showFormError(c, session, 'token', error);
    }
    if (recoveryCodes === null) return seeOther(c, '/security?done=token-on');
    return showRecoveryCodes(c, user.email, recoveryCodes, 'token-on');
  });

  routes.post('/security/token/remove', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'password', 'code');
    try {
      await services.hardwareToken.remove({ userId: session.userId, ...form });
    } catch (error) {
      return showFormError(c, session, 'token', error);
    }
    return seeOther(c, '/security?done=token-off');
  });

  routes.post('/security/phone', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'phone', 'password', 'code');
    try {
      await services.phone.set({ userId: session.userId, ...form });
    } catch (error) {
      return showFormError(c, session, 'phone', error);
    }
    return seeOther(c, '/security?done=phone-sent');
  });

  routes.post('/security/phone/verify', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'code');
    try {
      await services.phone.verify({ userId: session.userId, code: form.code });
    } catch (error) {
      return showFormError(c, session, 'phone', error);
    }
    return seeOther(c, '/security?done=phone-verified');
  });

  routes.post('/security/phone/resend', async (c) => {
    const session = signedIn(c);
    try {
      await services.phone.resend(session.userId);
    } catch (error) {
      return showFormError(c, session, 'phone', error);
    }
    return seeOther(c, '/security?done=phone-sent');
  });

  routes.post('/security/password', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'currentPassword', 'newPassword');
    let token: string;
    try {
      const issued = await services.accounts.changePassword({
        userId: session.userId,
        currentToken: c.get('sessionToken') ?? '',
        currentPassword: form.currentPassword,
        newPassword: form.newPassword,
      });
      token = issued.token;
    } catch (error) {
      return showFormError(c, session, 'password', error);
    }
    setSessionCookie(c, config.secureCookies, token);
    return seeOther(c, '/security?done=password');
  });

  routes.post('/security/devices/revoke', async (c) => {
    const session = signedIn(c);
    const form = await readForm(c, 'device');
    try {
      await services.devices.revoke({ userId: session.userId, deviceId: form.device });
    } catch (error) {
      return showFormError(c, session, 'devices', error);
    }
    return seeOther(c, '/security?done=device-revoked');
  });

  // Every session of the user ends (this one too) and every device is forgotten: back to the log-in page.
  routes.post('/security/sign-out-everywhere', async (c) => {
    await services.devices.signOutEverywhere(signedIn(c).userId);
    clearSessionCookie(c, config.secureCookies);
    clearDeviceCookie(c, config.secureCookies);
    return seeOther(c, '/login?signed-out=everywhere');
  });

  async function showPage(
    c: PageContext,
    session: SessionView,
    options: {
      notice?: string | undefined;
      errors?: Partial<Record<SecurityForm, { message: string; field?: string | undefined }>>;
      status?: OutcomeStatus;
    },
  ): Promise<Response> {
    const user = await services.accounts.getUser(session.userId);
    if (!user) return seeOther(c, '/login');
    const pending = await services.totp.getPendingEnrollment(user.id);
    const enrollment = pending ? await displayOf(pending, deps.nowMs()) : null;
    const frame = frameFor(c, deps, 'Security', { user, ...(enrollment ? { scripts: ['copy.js'] } : {}) });
    const page = securityPage({
      frame,
      email: user.email,
      emailVerified: user.emailVerified,
      emailFactorOn: user.emailFactorOn,
      accountRecovery: await services.accountRecovery.pending(user.id),
      phone: user.phone,
      phoneVerified: user.phoneVerified,
      smsFactorOn: user.smsFactorOn,
      totpEnabled: user.totpEnabled,
      hardwareToken: await tokenOf(user.id),
      enrollment,
      recoveryCodesLeft: user.recoveryCodesLeft,
      recoveryCodesLow: RECOVERY_CODES_LOW,
      events: await services.audit.recentEvents(user.id),
      devices: await services.devices.list(user.id),
      failedSecondSteps: await services.audit.failedSecondSteps(user.id),
      ...(options.notice ? { notice: options.notice } : {}),
      ...(options.errors ? { errors: options.errors } : {}),
    });
    return render(c, page, options.status ?? 200);
  }

  async function showFormError(c: PageContext, session: SessionView, form: SecurityForm, error: unknown) {
    const outcome = outcomeOf(error);
    setRetryAfter(c, outcome);
    const formError = { message: outcome.message, field: outcome.field };
    return showPage(c, session, { errors: { [form]: formError }, status: outcome.status });
  }

  async function showRecoveryCodes(c: PageContext, email: string, codes: readonly string[], done: string) {
    c.header('Cache-Control', 'no-store');
    const first = done !== 'recovery-new';
    const page = recoveryCodesPage({
      frame: frameFor(c, deps, 'Recovery codes', { scripts: ['print.js'] }),
      codes,
      account: email,
      issuer: config.issuer,
      createdAt: new Date(deps.nowMs()),
      done,
      heading: first ? 'Two-factor authentication is on' : 'New recovery codes',
      intro: !first
        ? 'Your old recovery codes no longer work.'
        : done === 'email-factor-on'
          ? 'From now on, signing in asks for a code we email you.'
          : done === 'sms-factor-on'
            ? 'From now on, signing in asks for a code we text you.'
            : done === 'token-on'
              ? 'From now on, signing in asks for a code from your hardware token.'
              : 'From now on, signing in asks for the code your app shows.',
    });
    return render(c, page);
  }

  async function tokenOf(userId: string): Promise<{ registeredAtMs: number } | null> {
    const registeredAtMs = await services.hardwareToken.registeredAtMs(userId);
    return registeredAtMs === null ? null : { registeredAtMs };
  }

  return routes;
}

const guard = async (c: PageContext, next: () => Promise<void>) => {
  if (!fullSession(c)) return seeOther(c, '/login');
  await next();
};

function signedIn(c: PageContext): SessionView {
  const session = fullSession(c);
  if (!session) throw new Error('security route reached without a full session'); // the guard prevents it
  return session;
}

/**
 * QR code (error correction M, the usual choice for otpauth URIs), the key in groups of four, and the
 * minutes left to confirm.
 */
async function displayOf(enrollment: EnrollmentView, nowMs: number): Promise<EnrollmentDisplay> {
  // Black modules on a transparent ground: figure.qr in app.css paints the white behind it.
  const svg = encodeQR(enrollment.uri, 'svg', { ecc: 'medium', border: 4, optimize: true });
  const qrSvg = svg.replace(
    '<svg ',
    '<svg role="img" aria-label="QR code with the key for your authenticator app" focusable="false" ',
  );
  const groupedSecret = (encodeBase32(enrollment.secret, { padding: false }).match(/.{1,4}/g) ?? []).join(
    ' ',
  );
  // Rounded up, never below 1: the set-up is live, so there is at least part of a minute left.
  const minutesLeft = Math.max(1, Math.ceil((enrollment.expiresAtMs - nowMs) / 60_000));
  return { qrSvg, groupedSecret, uri: enrollment.uri, minutesLeft };
}
