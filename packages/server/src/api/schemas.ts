/**
 * One schema per request and response of the JSON API: `zod` validates requests with them and
 * `@hono/zod-openapi` writes the OpenAPI 3.1 document from them (served at /api/openapi.json). Shapes of
 * ids and labels come from the services, which check them too.
 */
import { z } from '@hono/zod-openapi';
import { API_EVENTS_LISTED } from '../services/limits.ts';
import { IDEMPOTENCY_KEY_SHAPE, LABEL_SHAPE, SUBJECT_ID_SHAPE } from '../services/subjects.ts';
import type { ServiceErrorCode } from '../services/types.ts';

export const FactorKindSchema = z.enum(['totp', 'recovery']).openapi('FactorKind', {
  description: '`totp`: an authenticator app (6-digit codes). `recovery`: single-use recovery codes.',
});

const Instant = z.iso.datetime().openapi({ example: '2031-01-01T00:15:00.000Z' });

/**
 * The error codes the API answers with (the contract tests refuse any other, so a service error reaching the
 * API unplanned shows up there). Words and statuses: src/outcomes.ts.
 */
export const API_ERROR_CODES = [
  'MALFORMED_JSON',
  'INVALID_REQUEST',
  'NOT_FOUND',
  'API_KEY_INVALID',
  'API_KEY_SCOPE',
  'API_RATE_LIMITED',
  'SUBJECT_NOT_FOUND',
  'ENROLLMENT_NOT_FOUND',
  'ENROLLMENT_CLOSED',
  'IDEMPOTENCY_KEY_REUSED',
  'NO_SECOND_FACTOR',
  'FACTOR_NOT_ENROLLED',
  'TOTP_ALREADY_ENABLED',
  'MALFORMED_CODE',
  'INVALID_SETUP_CODE',
  'SECOND_FACTOR_LOCKED',
  'SECOND_FACTOR_BUDGET_SPENT',
  'RECOVERY_RATE_LIMITED',
  'BUSY',
] as const satisfies readonly ServiceErrorCode[];

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum([...API_ERROR_CODES, 'UNAVAILABLE', 'INTERNAL']).openapi('ErrorCode', {
        description: 'What went wrong, for programs: the table of outcomes in the README says each one.',
      }),
      message: z.string().openapi({ example: 'There is no subject with this id for this API key.' }),
    }),
  })
  .openapi('ApiError');

export const SubjectParams = z.object({
  subject: z
    .string()
    .regex(SUBJECT_ID_SHAPE)
    .openapi({
      param: { name: 'subject', in: 'path' },
      description: "Your app's own id for the user (1-128 of A-Z a-z 0-9 . _ ~ : @ + = -).",
      example: 'user-42',
    }),
});

export const EnrollmentParams = SubjectParams.extend({
  enrollmentId: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: 'enrollmentId', in: 'path' },
      example: '0b6f5ad4-3c3e-4d7b-9a8e-1c2d3e4f5a6b',
    }),
});

export const FactorParams = SubjectParams.extend({
  factor: FactorKindSchema.openapi({ param: { name: 'factor', in: 'path' } }),
});

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_SHAPE)
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'Sending the same request again with the same key returns the same set-up (while it is pending) ' +
        'instead of starting a new one.',
      example: '5f0c2d9e-8d1b-4d55-9c3a-0a1b2c3d4e5f',
    }),
});

export const EnrollmentRequest = z
  .object({
    accountName: z.string().regex(LABEL_SHAPE).optional().openapi({
      description: 'The account the authenticator app shows. Default: the subject id.',
      example: 'alice@example.com',
    }),
    issuer: z.string().regex(LABEL_SHAPE).optional().openapi({
      description: "The issuer the app shows. Default: the service's TWOFA_ISSUER.",
      example: 'Example App',
    }),
  })
  .strict()
  .openapi('EnrollmentRequest');

export const EnrollmentResponse = z
  .object({
    enrollmentId: z.string(),
    otpauthUri: z
      .string()
      .openapi({ description: 'The key URI: show it only to the subject (it holds the secret).' }),
    qrSvg: z.string().openapi({ description: 'The URI as a QR code, SVG markup.' }),
    qrPngDataUrl: z.string().openapi({ description: 'The URI as a QR code, a data:image/png;base64 URL.' }),
    expiresAt: Instant.openapi({ description: 'Confirm before then (15 minutes after the start).' }),
  })
  .openapi('Enrollment');

export const ConfirmRequest = z
  .object({
    code: z.string().max(64).openapi({ description: 'The code the app shows now.', example: '123456' }),
  })
  .strict()
  .openapi('ConfirmRequest');

export const ConfirmResponse = z
  .object({
    factor: z.literal('totp'),
    recoveryCodes: z.array(z.string()).nullable().openapi({
      description: 'A new set of recovery codes (shown here once), or null when the subject kept theirs.',
    }),
  })
  .openapi('ConfirmedEnrollment');

export const VerifyRequest = z
  .object({
    code: z
      .string()
      .max(64)
      .openapi({ description: 'What the user typed: 6 digits, or a recovery code.', example: '123456' }),
    factor: FactorKindSchema.optional().openapi({
      description: 'Which factor the code is for. Default: told from its shape.',
    }),
  })
  .strict()
  .openapi('VerifyRequest');

export const VerifyResponse = z
  .object({
    valid: z.boolean(),
    factor: FactorKindSchema,
    remainingRecoveryCodes: z.number().int().min(0),
    attemptsLeft: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({ description: 'After a wrong code: wrong codes left before the subject is locked (429).' }),
  })
  .openapi('Verification');

export const FactorsResponse = z
  .object({
    factors: z.array(
      z
        .object({
          kind: FactorKindSchema,
          createdAt: Instant.optional(),
          remaining: z.number().int().min(0).optional().openapi({ description: 'Unused recovery codes.' }),
        })
        .openapi('Factor'),
    ),
  })
  .openapi('Factors');

export const RecoveryCodesResponse = z
  .object({ recoveryCodes: z.array(z.string()).openapi({ description: 'Shown once: store none of them.' }) })
  .openapi('RecoveryCodes');

export const EventsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(API_EVENTS_LISTED)
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, example: 20 }),
});

export const EventsResponse = z
  .object({
    events: z.array(
      z
        .object({
          seq: z.number().int(),
          at: Instant,
          type: z.string().openapi({ example: 'sign_in.succeeded' }),
          ip: z.string().nullable(),
          userAgent: z.string().nullable(),
          details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
        })
        .openapi('Event'),
    ),
  })
  .openapi('Events');
