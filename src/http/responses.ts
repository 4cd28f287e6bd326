/** JSON responses, and errors turned into them: a status per error code, a body that never leaks a stack. */
import {
  type ErrorCode,
  ForbiddenWriteError,
  InvalidValueError,
  SessionflowError,
  TransformFailedError,
  TransformLoopError,
} from '../model/errors'

/**
 * HTTP status per error code. 4xx: the client can fix its request. `TRANSFORM_FAILED` (a critical
 * app's upstream down or slow) and `STORE` may succeed on a retry: 503. `TRANSFORM_LOOP` and
 * `CONFIG` are bugs on the server: 500. Nothing was saved in any of these cases.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  CONFIG: 500,
  INVALID_VALUE: 400,
  FORBIDDEN_WRITE: 403,
  SESSION_NOT_FOUND: 404,
  TRANSFORM_LOOP: 500,
  TRANSFORM_FAILED: 503,
  CONFLICT: 409,
  STORE: 503,
})

/** An answer of the handler itself (no route, wrong method, wrong media type): its own status and code. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

/**
 * The status an error is answered with: {@link HTTP_STATUS}, except 413 for an input or session
 * over a size limit, and a critical remote app's own 401 or 403 (a sales channel refused, a login
 * required: `TransformFailedError.status`). Anything that is not a `SessionflowError` is a 500.
 */
export function statusOf(error: unknown): number {
  if (error instanceof HttpProblem) return error.status
  if (!(error instanceof SessionflowError)) return 500
  if (error instanceof InvalidValueError && error.limit !== undefined) return 413
  // a remote app's own 401/403 (kept by the engine as `status`): the client can act on it (log in, another channel)
  if (error instanceof TransformFailedError && (error.status === 401 || error.status === 403)) return error.status
  return HTTP_STATUS[error.code] ?? 500
}

/**
 * The JSON body for an error: `{ code, message, ...details }`. 4xx messages help a client fix its
 * request; 5xx ones could carry internals (store hosts, an upstream's error text), so they are
 * replaced by a generic message. No stack, ever.
 */
export function errorBody(error: unknown, status: number): Record<string, unknown> {
  if (error instanceof HttpProblem) return { code: error.code, message: error.message }
  if (!(error instanceof SessionflowError)) return { code: 'INTERNAL', message: 'the server could not complete the request' }
  let message = error.message
  if (status >= 500) message = `the server could not complete the request (${error.code})`
  else if (error instanceof TransformFailedError) message = `a required app refused the request (${status})`
  const body: Record<string, unknown> = { code: error.code, message }
  if (error instanceof InvalidValueError) {
    if (error.path !== undefined) body.path = error.path
    if (error.limit !== undefined) body.limit = error.limit
  }
  if (error instanceof ForbiddenWriteError) body.params = error.params
  if (error instanceof TransformLoopError) body.reason = error.reason
  return body
}

/** A JSON response that no browser or CDN caches (sessions are per visitor). */
export function json(status: number, body: unknown, headers: Headers = new Headers()): Response {
  headers.set('content-type', 'application/json; charset=utf-8')
  headers.set('cache-control', 'no-store')
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers })
}

/** The response for an error (`headers` carries cookies already decided, such as a cleared stale one). */
export function errorResponse(error: unknown, headers: Headers = new Headers()): Response {
  const status = statusOf(error)
  if (error instanceof HttpProblem) for (const [name, value] of Object.entries(error.headers)) headers.set(name, value)
  return json(status, errorBody(error, status), headers)
}
