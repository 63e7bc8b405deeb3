/**
 * The subject operations of /api/v1: TOTP set-up (start, confirm), verifying a code, the subject's factors
 * (list, remove), a new set of recovery codes, and the subject's audit events. Each route is one schema
 * (api/schemas.ts) that both validates and documents it; the rules are in services/subjects.ts.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppDeps } from '../context.ts';
import { type ApiCaller, type ApiScope, ServiceError } from '../services/types.ts';
import { qrPngDataUrl, qrSvg } from './qr.ts';
import {
  ConfirmRequest,
  ConfirmResponse,
  EnrollmentParams,
  EnrollmentRequest,
  EnrollmentResponse,
  ErrorSchema,
  EventsQuery,
  EventsResponse,
  FactorParams,
  FactorsResponse,
  IdempotencyHeaders,
  RecoveryCodesResponse,
  SubjectParams,
  VerifyRequest,
  VerifyResponse,
} from './schemas.ts';

export type ApiEnv = {
  Variables: {
    requestId: string;
    /** The key behind the request, set by the authentication middleware. */
    caller: ApiCaller;
  };
};

/** Refuses a key without `scope` (403), before the request is validated. */
export function requireScope(scope: ApiScope): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!c.get('caller').scopes.includes(scope)) throw new ServiceError('API_KEY_SCOPE', { field: scope });
    await next();
  };
}

const ERROR_TEXT: Record<number, string> = {
  400: 'The body is not JSON (sent as application/json), or the code cannot be a code of that kind.',
  401: 'No API key, or an unknown or revoked one.',
  403: 'The API key lacks the scope.',
  404: 'No such subject (in this tenant), set-up or operation.',
  409: 'The subject is not in a state that allows this.',
  422: "The request does not match this description, or the set-up's first code is wrong.",
  429: 'Too many requests for this key, or too many wrong codes for this subject (see Retry-After).',
};

/** The error responses an operation may give, all `{"error": {"code", "message"}}`. */
function errors(...statuses: (keyof typeof ERROR_TEXT)[]) {
  return Object.fromEntries(
    [400, 401, 403, 422, 429, ...statuses].map((status) => [
      status,
      { description: ERROR_TEXT[status]!, content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  );
}

function json<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

function body<T>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}

const iso = (ms: number) => new Date(ms).toISOString();

export function subjectRoutes(api: OpenAPIHono<ApiEnv>, deps: AppDeps): void {
  const { subjects } = deps.services;
  const base = '/api/v1/subjects/{subject}';

  api.openapi(
    createRoute({
      method: 'post',
      path: `${base}/enrollments/totp`,
      tags: ['Enrollment'],
      summary: 'Start TOTP set-up',
      description:
        'A new secret for the subject (created on first use), as an otpauth:// URI and QR codes, to show to ' +
        'the subject only. A set-up not confirmed within 15 minutes expires; starting again replaces it.',
      middleware: [requireScope('enroll')] as const,
      request: { params: SubjectParams, headers: IdempotencyHeaders, body: body(EnrollmentRequest) },
      responses: { 201: json(EnrollmentResponse, 'The set-up, pending until confirmed.'), ...errors(409) },
    }),
    async (c) => {
      const { subject } = c.req.valid('param');
      const input = c.req.valid('json');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const view = await subjects.beginEnrollment({
        caller: c.get('caller'),
        subject,
        ...(input.accountName === undefined ? {} : { accountName: input.accountName }),
        ...(input.issuer === undefined ? {} : { issuer: input.issuer }),
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      if (view.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(
        {
          enrollmentId: view.enrollmentId,
          otpauthUri: view.uri,
          qrSvg: qrSvg(view.uri),
          qrPngDataUrl: qrPngDataUrl(view.uri),
          expiresAt: iso(view.expiresAtMs),
        },
        201,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: `${base}/enrollments/{enrollmentId}/confirm`,
      tags: ['Enrollment'],
      summary: 'Confirm TOTP set-up with a code',
      description:
        'The subject types the code their app shows; on success TOTP is on, that code counts as used, and a ' +
        'first set of recovery codes is returned (once).',
      middleware: [requireScope('enroll')] as const,
      request: { params: EnrollmentParams, body: body(ConfirmRequest) },
      responses: {
        200: json(ConfirmResponse, 'TOTP is on for the subject.'),
        ...errors(404),
      },
    }),
    async (c) => {
      const { subject, enrollmentId } = c.req.valid('param');
      const { code } = c.req.valid('json');
      const { recoveryCodes } = await subjects.confirmEnrollment({
        caller: c.get('caller'),
        subject,
        enrollmentId,
        code,
      });
      return c.json(
        { factor: 'totp' as const, recoveryCodes: recoveryCodes === null ? null : [...recoveryCodes] },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: `${base}/verify`,
      tags: ['Verification'],
      summary: 'Verify a code',
      description:
        'A code from the app or a recovery code. A wrong code is `valid: false` (200); each code works once ' +
        '(of two requests racing with one code, exactly one is valid). Wrong codes count against the ' +
        "subject's limits, shared with everything else that checks its codes: after 10 wrong 6-digit codes " +
        'they are refused for a while (429 with Retry-After).',
      middleware: [requireScope('verify')] as const,
      request: { params: SubjectParams, body: body(VerifyRequest) },
      responses: { 200: json(VerifyResponse, 'Whether the code was right.'), ...errors(404, 409) },
    }),
    async (c) => {
      const { subject } = c.req.valid('param');
      const { code, factor } = c.req.valid('json');
      const result = await subjects.verify({
        caller: c.get('caller'),
        subject,
        code,
        ...(factor === undefined ? {} : { factor }),
      });
      return c.json({ ...result }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: `${base}/factors`,
      tags: ['Factors'],
      summary: "List the subject's factors",
      middleware: [requireScope('manage')] as const,
      request: { params: SubjectParams },
      responses: { 200: json(FactorsResponse, 'The factors the subject has.'), ...errors(404) },
    }),
    async (c) => {
      const { subject } = c.req.valid('param');
      const factors = await subjects.listFactors({ caller: c.get('caller'), subject });
      return c.json(
        {
          factors: factors.map((f) => ({
            kind: f.kind,
            ...(f.createdAtMs === undefined ? {} : { createdAt: iso(f.createdAtMs) }),
            ...(f.remaining === undefined ? {} : { remaining: f.remaining }),
          })),
        },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: `${base}/factors/{factor}`,
      tags: ['Factors'],
      summary: 'Remove a factor',
      description: 'Removing `totp` removes the recovery codes too (they stand in for it).',
      middleware: [requireScope('manage')] as const,
      request: { params: FactorParams },
      responses: { 204: { description: 'Removed.' }, ...errors(404, 409) },
    }),
    async (c) => {
      const { subject, factor } = c.req.valid('param');
      await subjects.removeFactor({ caller: c.get('caller'), subject, factor });
      return c.body(null, 204);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: `${base}/recovery-codes`,
      tags: ['Factors'],
      summary: 'Make a new set of recovery codes',
      description:
        'Replaces the whole set; the codes are returned here once and stored only as keyed hashes.',
      middleware: [requireScope('enroll')] as const,
      request: { params: SubjectParams },
      responses: { 201: json(RecoveryCodesResponse, 'The new set.'), ...errors(404, 409) },
    }),
    async (c) => {
      const { subject } = c.req.valid('param');
      const codes = await subjects.generateRecoveryCodes({ caller: c.get('caller'), subject });
      return c.json({ recoveryCodes: [...codes] }, 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: `${base}/events`,
      tags: ['Audit'],
      summary: "The subject's audit events",
      description: 'Newest first, from the tamper-evident audit log.',
      middleware: [requireScope('manage')] as const,
      request: { params: SubjectParams, query: EventsQuery },
      responses: { 200: json(EventsResponse, 'The latest events.'), ...errors(404) },
    }),
    async (c) => {
      const { subject } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      const events = await subjects.listEvents({
        caller: c.get('caller'),
        subject,
        ...(limit === undefined ? {} : { limit }),
      });
      return c.json(
        {
          events: events.map((e) => ({
            seq: e.seq,
            at: iso(e.atMs),
            type: e.type,
            ip: e.ip,
            userAgent: e.userAgent,
            details: { ...e.details },
          })),
        },
        200,
      );
    },
  );
}
