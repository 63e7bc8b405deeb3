/**
 * @twofa/client: the twofa JSON API from TypeScript or JavaScript, over `fetch` (Node 20+, Deno, Bun,
 * browsers, edge runtimes), with the API's own types (src/api-types.ts, generated from its OpenAPI document).
 *
 * ```ts
 * const twofa = createTwofaClient({ baseUrl: 'https://2fa.example.com', apiKey: process.env.TWOFA_API_KEY! });
 * const { valid } = await twofa.verify('user-42', typedCode);
 * ```
 *
 * Every refusal is a {@link TwofaApiError} with the API's error code, its HTTP status and, for 429, how long
 * to wait. A wrong code is not an error: `verify` returns `{ valid: false }`.
 */
import type {
  ApiError,
  ConfirmedEnrollment,
  Enrollment,
  EnrollmentRequest,
  ErrorCode,
  Event,
  Factor,
  FactorKind,
  Verification,
} from './api-types.ts';

export type * from './api-types.ts';

export interface TwofaClientOptions {
  /** Where the service is: its TWOFA_PUBLIC_URL (`https://2fa.example.com`). */
  readonly baseUrl: string | URL;
  /** A key from `twofa admin api-key create` (`twofa_<prefix>_<secret>`). Keep it on your server. */
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** A refusal from the API: `{"error": {"code", "message"}}` with its status. */
export class TwofaApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'UNEXPECTED_RESPONSE';
  /** For 429: seconds to wait (the Retry-After header). */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, code: TwofaApiError['code'], message: string, retryAfterSeconds?: number) {
    super(`${code}: ${message}`);
    this.name = 'TwofaApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface TwofaClient {
  /** Starts TOTP set-up for `subject` (your own user id); show the QR code to that user only. */
  startEnrollment(
    subject: string,
    request?: EnrollmentRequest,
    options?: {
      /** Retrying with the same key returns the same set-up instead of a new secret. */
      idempotencyKey?: string;
    },
  ): Promise<Enrollment>;
  /** Confirms set-up with the code the user's app shows; returns the first recovery codes (show them once). */
  confirmEnrollment(subject: string, enrollmentId: string, code: string): Promise<ConfirmedEnrollment>;
  /** Checks a code (6 digits or a recovery code). Each code is valid once. */
  verify(subject: string, code: string, options?: { factor?: FactorKind }): Promise<Verification>;
  listFactors(subject: string): Promise<readonly Factor[]>;
  /** Removing `totp` removes the recovery codes too. */
  removeFactor(subject: string, factor: FactorKind): Promise<void>;
  /** A new set of recovery codes replacing the old (show them once). */
  generateRecoveryCodes(subject: string): Promise<readonly string[]>;
  /** The subject's audit events, newest first. */
  listEvents(subject: string, options?: { limit?: number }): Promise<readonly Event[]>;
}

export function createTwofaClient(options: TwofaClientOptions): TwofaClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = new URL(options.baseUrl);

  async function send<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const init: RequestInit = {
      method,
      headers: {
        Authorization: `Bearer ${options.apiKey}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    const response = await doFetch(new URL(path, base), init);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TwofaApiError(
        response.status,
        'UNEXPECTED_RESPONSE',
        `the service answered ${response.status} without JSON`,
      );
    }
    if (response.ok) return json as T;
    const error = (json as Partial<ApiError>).error;
    const retryAfter = response.headers.get('retry-after');
    throw new TwofaApiError(
      response.status,
      error?.code ?? 'UNEXPECTED_RESPONSE',
      error?.message ?? `the service answered ${response.status}`,
      retryAfter === null ? undefined : Number(retryAfter),
    );
  }

  const subjectPath = (subject: string) => `/api/v1/subjects/${encodeURIComponent(subject)}`;

  return {
    startEnrollment: (subject, request = {}, { idempotencyKey } = {}) =>
      send<Enrollment>(
        'POST',
        `${subjectPath(subject)}/enrollments/totp`,
        request,
        idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey },
      ),
    confirmEnrollment: (subject, enrollmentId, code) =>
      send<ConfirmedEnrollment>(
        'POST',
        `${subjectPath(subject)}/enrollments/${encodeURIComponent(enrollmentId)}/confirm`,
        { code },
      ),
    verify: (subject, code, { factor } = {}) =>
      send<Verification>(
        'POST',
        `${subjectPath(subject)}/verify`,
        factor === undefined ? { code } : { code, factor },
      ),
    listFactors: async (subject) =>
      (await send<{ factors: Factor[] }>('GET', `${subjectPath(subject)}/factors`)).factors,
    removeFactor: (subject, factor) => send<void>('DELETE', `${subjectPath(subject)}/factors/${factor}`),
    generateRecoveryCodes: async (subject) =>
      (await send<{ recoveryCodes: string[] }>('POST', `${subjectPath(subject)}/recovery-codes`))
        .recoveryCodes,
    listEvents: async (subject, { limit } = {}) =>
      (
        await send<{ events: Event[] }>(
          'GET',
          `${subjectPath(subject)}/events${limit === undefined ? '' : `?limit=${limit}`}`,
        )
      ).events,
  };
}
