/**
 * The JSON API (/api): a sub-app beside the pages, mounted by app.ts before them. Its own authentication
 * (API keys in `Authorization: Bearer`), JSON errors from the same table of outcomes as the pages
 * (outcomes.ts), no session cookie, no CSRF token (no cookie authenticates a request here, so there is
 * nothing for another site to ride on), no CORS headers (browsers keep other origins out; the API is for
 * servers). The OpenAPI 3.1 document at /api/openapi.json and the reference at /api/docs come from the same
 * schemas that validate the requests (api/schemas.ts).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { referencePage } from './api/reference.ts';
import { type ApiEnv, subjectRoutes } from './api/subjects.ts';
import { parseTrustedProxies } from './client-address.ts';
import type { AppDeps } from './context.ts';
import { requestMeta } from './middleware/request-meta/index.ts';
import { OUTCOMES, type OutcomeOf, outcomeOf, UNAVAILABLE_RETRY_AFTER_SECONDS } from './outcomes.ts';
import { ServiceError } from './services/types.ts';

/** Request bodies here are a few short fields. */
const MAX_BODY_BYTES = 16 * 1024;

export const OPENAPI_PATH = '/api/openapi.json';
export const REFERENCE_PATH = '/api/docs';

export function createApiApp(deps: AppDeps): OpenAPIHono<ApiEnv> {
  const api = new OpenAPIHono<ApiEnv>({
    // A request that does not match its schema: 422 naming the first field at fault (never its value).
    defaultHook: (result) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.length
        ? issue.path.join('.')
        : result.target === 'json'
          ? 'body'
          : result.target;
      throw new ServiceError('INVALID_REQUEST', { field: String(field) });
    },
  });

  api.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('INVALID_REQUEST', 'The body is too large.'), 413),
    }),
  );
  api.use(
    '/api/*',
    requestMeta({
      trustedProxies: parseTrustedProxies(deps.config.trustedProxies.join(',')),
      withRequest: deps.services.withRequest,
    }) as unknown as MiddlewareHandler<ApiEnv>,
  );
  api.use('/api/v1/*', async (c, next) => {
    const header = c.req.header('authorization');
    const token = header?.match(/^Bearer +(\S+) *$/i)?.[1];
    c.set('caller', await deps.services.apiKeys.authenticate(token));
    await next();
  });

  registerOperations(api, deps);

  const document = () => documentOf(api, deps.config.publicUrl);
  let cached: ReturnType<typeof document> | undefined;
  const documentOnce = () => {
    cached ??= document();
    return cached;
  };

  api.get(OPENAPI_PATH, (c) => c.json(documentOnce()));
  api.get(REFERENCE_PATH, (c) => c.html(referencePage(documentOnce())));
  // Registered before the pages: no page middleware (session, CSRF) ever sees an /api request.
  api.all('/api/*', () => {
    throw new ServiceError('NOT_FOUND');
  });

  api.onError((error, c) => {
    if (error instanceof ServiceError && error.code === 'UNAVAILABLE') {
      // The services logged the driver's reason; outcomeOf leaves this one to each edge (see outcomes.ts).
      c.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      return c.json(errorBody('UNAVAILABLE', OUTCOMES.UNAVAILABLE.message), 503);
    }
    if (error instanceof ServiceError) {
      const outcome = outcomeOf(error);
      if (outcome.retryAfterSeconds !== undefined) c.header('Retry-After', String(outcome.retryAfterSeconds));
      const status = apiStatusOf(outcome);
      if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="twofa"');
      return c.json(errorBody(outcome.code, outcome.message), status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const outcome = outcomeOf(new ServiceError('MALFORMED_JSON'));
      return c.json(errorBody(outcome.code, outcome.message), outcome.status);
    }
    deps.log(
      JSON.stringify({
        time: new Date(deps.nowMs()).toISOString(),
        event: 'error',
        requestId: c.get('requestId'),
        error: error.name,
        message: error.message,
      }),
    );
    return c.json(errorBody('INTERNAL', 'The server could not finish this request. Try again.'), 500);
  });
  return api;
}

function registerOperations(api: OpenAPIHono<ApiEnv>, deps: AppDeps): void {
  api.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key from `twofa admin api-key create`: `twofa_<prefix>_<secret>`.',
  });
  subjectRoutes(api, deps);
}

function documentOf(api: OpenAPIHono<ApiEnv>, publicUrl: string) {
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'twofa API',
      version: '1.0.0',
      description:
        "Second factors for your app's own users: TOTP set-up, verification, recovery codes and an audit " +
        'log, per API key tenant. Errors are `{"error": {"code", "message"}}`.',
    },
    servers: [{ url: publicUrl }],
    security: [{ apiKey: [] }],
  });
}

/** The OpenAPI document without a running service (for generating the client's types). */
export function apiDocument(publicUrl = 'http://localhost:8080'): ReturnType<typeof documentOf> {
  const api = new OpenAPIHono<ApiEnv>();
  registerOperations(api, { services: {} } as AppDeps);
  return documentOf(api, publicUrl);
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * The status an outcome gets in the API. RFC 9110 s15.5.2: a 401 says the request's credentials are missing or
 * wrong (and must carry WWW-Authenticate); in the API only the API key is a credential, so a wrong code the
 * pages answer with 401 (the person's own proof) is a 422 here: a client must not take it for a bad key.
 */
function apiStatusOf(outcome: OutcomeOf): OutcomeOf['status'] {
  return outcome.status === 401 && outcome.code !== 'API_KEY_INVALID' ? 422 : outcome.status;
}
