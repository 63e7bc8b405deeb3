/**
 * "Forgot password": GET/POST /password/forgot asks for a link (the same answer for every address, known or
 * not), GET /password/reset/:token opens the form (GET changes nothing), POST /password/reset sets the new
 * password (with a code from a factor that is not email when 2FA is on). The token travels in the link's
 * path for the reasons given in routes/email.ts.
 */
import { Hono } from 'hono';
import type { AppDeps, AppEnv } from '../context.ts';
import { clearSessionCookie } from '../middleware/session/index.ts';
import { OUTCOMES, outcomeOf } from '../outcomes.ts';
import { forgotPasswordPage, passwordResetDonePage, resetPasswordPage } from '../views/password-reset.ts';
import { frameFor, readForm, render, setRetryAfter } from './page.ts';

export function passwordResetRoutes(deps: AppDeps): Hono<AppEnv> {
  const { services, config } = deps;
  const routes = new Hono<AppEnv>();
  const forgotTitle = 'Forgot your password?';
  const resetTitle = 'Choose a new password';

  routes.get('/password/forgot', (c) =>
    render(c, forgotPasswordPage({ frame: frameFor(c, deps, forgotTitle) })),
  );

  routes.post('/password/forgot', async (c) => {
    const form = await readForm(c, 'email');
    try {
      await services.passwordReset.request(form.email);
    } catch (error) {
      const { status, message, field } = outcomeOf(error);
      const page = forgotPasswordPage({
        frame: frameFor(c, deps, forgotTitle),
        email: form.email,
        error: { message, field },
      });
      return render(c, page, status);
    }
    const page = forgotPasswordPage({
      frame: frameFor(c, deps, 'Check your email'),
      email: form.email.trim(),
      sent: true,
    });
    return render(c, page);
  });

  routes.get('/password/reset/:token', async (c) => {
    const token = c.req.param('token');
    const live = await services.passwordReset.check(token);
    const frame = frameFor(c, deps, resetTitle);
    if (live === null) {
      const { status, message } = OUTCOMES.INVALID_LINK;
      return render(
        c,
        resetPasswordPage({ frame, token: null, needsCode: null, error: { message } }),
        status,
      );
    }
    return render(c, resetPasswordPage({ frame, token, ...live }));
  });

  routes.post('/password/reset/send', async (c) => {
    const form = await readForm(c, 'token');
    const frame = frameFor(c, deps, resetTitle);
    try {
      await services.passwordReset.sendCode(form.token);
    } catch (error) {
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      const live = await services.passwordReset.check(form.token);
      const page = resetPasswordPage({
        frame,
        token: live === null ? null : form.token,
        needsCode: live?.needsCode ?? null,
        smsAvailable: live?.smsAvailable ?? false,
        error: { message: outcome.message },
      });
      return render(c, page, outcome.status);
    }
    const live = await services.passwordReset.check(form.token);
    if (live === null) return render(c, resetPasswordPage({ frame, token: null, needsCode: null }), 400);
    return render(c, resetPasswordPage({ frame, token: form.token, ...live, sent: true }));
  });

  routes.post('/password/reset', async (c) => {
    const form = await readForm(c, 'token', 'newPassword', 'code');
    try {
      await services.passwordReset.reset({
        token: form.token,
        newPassword: form.newPassword,
        code: form.code,
      });
    } catch (error) {
      const outcome = outcomeOf(error);
      setRetryAfter(c, outcome);
      const live = await services.passwordReset.check(form.token);
      const frame = frameFor(c, deps, resetTitle);
      const page = resetPasswordPage({
        frame,
        token: live === null ? null : form.token,
        needsCode: live?.needsCode ?? null,
        smsAvailable: live?.smsAvailable ?? false,
        error: { message: outcome.message, field: outcome.field },
      });
      return render(c, page, outcome.status);
    }
    // Every session of the account ended, this browser's too if it had one.
    clearSessionCookie(c, config.secureCookies);
    return render(c, passwordResetDonePage({ frame: frameFor(c, deps, 'Password changed') }));
  });

  return routes;
}
