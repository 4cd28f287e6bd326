/**
 * Every error sessionflow throws. One table, one base class, a stable `code` per class, so hosts
 * can map errors to responses (`INVALID_VALUE` -> 400, `FORBIDDEN_WRITE` -> 403, ...) without
 * depending on message text.
 */

/** Stable string codes carried by every {@link SessionflowError}. */
export type ErrorCode =
  | 'CONFIG'
  | 'INVALID_VALUE'
  | 'FORBIDDEN_WRITE'
  | 'SESSION_NOT_FOUND'
  | 'TRANSFORM_LOOP'
  | 'TRANSFORM_FAILED'
  | 'CONFLICT'
  | 'STORE'

/** Base class of every error thrown by sessionflow. `code` never changes between versions. */
export class SessionflowError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Invalid engine or app configuration; thrown by the `SessionEngine` constructor and `defineApp`. */
export class ConfigError extends SessionflowError {
  /** Name of the app at fault, when the problem is in an app. */
  readonly app: string | undefined

  constructor(message: string, app?: string) {
    super('CONFIG', app === undefined ? message : `app "${app}": ${message}`)
    this.app = app
  }
}

/**
 * A value, param name, id, filter or JSON Patch that is not acceptable: not plain JSON, a reserved
 * name, over a size limit, malformed. Nothing was saved.
 */
export class InvalidValueError extends SessionflowError {
  /** The param or JSON path concerned, when there is one (`public.country`, `/public/x/0`). */
  readonly path: string | undefined
  /** Validator issues (Standard Schema) when a validator refused the value. */
  readonly issues: readonly unknown[] | undefined
  /**
   * The size limit the whole input or session would exceed (`'maxSessionBytes'`,
   * `'maxKeysPerNamespace'`, `'maxNamespaces'`, or a host's own such as `'maxBodyBytes'`), when
   * that is the problem; an HTTP front answers 413 for these.
   */
  readonly limit: string | undefined

  constructor(message: string, path?: string, options?: { cause?: unknown; issues?: readonly unknown[]; limit?: string }) {
    super('INVALID_VALUE', path === undefined ? message : `${path}: ${message}`, options)
    this.path = path
    this.issues = options?.issues
    this.limit = options?.limit
  }
}

/** A client write outside the writable namespaces. Nothing was saved. */
export class ForbiddenWriteError extends SessionflowError {
  /** The params or paths that may not be written. */
  readonly params: readonly string[]

  constructor(params: readonly string[], writable: readonly string[]) {
    super(
      'FORBIDDEN_WRITE',
      `may not write ${params.join(', ')}: writable namespaces are ${writable.map((n) => `"${n}"`).join(', ') || '(none)'}`,
    )
    this.params = params
  }
}

/** The session id is unknown or the session has expired. */
export class SessionNotFoundError extends SessionflowError {
  /** The id that was asked for. */
  readonly sessionId: string

  constructor(sessionId: string) {
    super('SESSION_NOT_FOUND', `session not found or expired: ${sessionId}`)
    this.sessionId = sessionId
  }
}

/** A cycle that would not end: stopped at `maxWaves` or on a repeated (state, changed params) pair. Nothing was saved. */
export class TransformLoopError extends SessionflowError {
  /** Apps that kept running. */
  readonly apps: readonly string[]
  /** Params that kept changing. */
  readonly params: readonly string[]
  /** Waves run before the cycle was stopped (the create wave not counted). */
  readonly waves: number
  /** `'repeat'`: a (state, changed params) pair came back; `'maxWaves'`: the wave budget ran out. */
  readonly reason: 'repeat' | 'maxWaves'

  constructor(reason: 'repeat' | 'maxWaves', apps: readonly string[], params: readonly string[], waves: number) {
    super(
      'TRANSFORM_LOOP',
      (reason === 'repeat'
        ? `transform loop: the cycle came back to a state it had already been in after ${waves} waves`
        : `transform loop: the cycle did not end within maxWaves (${waves})`) +
        `; apps: ${apps.join(', ')}; params: ${params.join(', ')}`,
    )
    this.apps = apps
    this.params = params
    this.waves = waves
    this.reason = reason
  }
}

/** A `critical` app failed (threw, rejected, returned garbage or timed out). Nothing was saved. */
export class TransformFailedError extends SessionflowError {
  /** The critical app that failed. */
  readonly app: string
  /**
   * The HTTP status a remote app answered (its `cause` is a {@link RemoteAppError}), so an HTTP
   * layer can answer a remote 401/403 as such; `undefined` otherwise.
   */
  readonly status: number | undefined

  constructor(app: string, message: string, cause?: unknown) {
    super('TRANSFORM_FAILED', `critical app "${app}" failed: ${message}`, { cause })
    this.app = app
    this.status = remoteStatus(cause)
  }
}

/**
 * The HTTP status carried by a {@link RemoteAppError}, `undefined` for anything else. Never throws:
 * `instanceof` on a revoked proxy (something a transform may throw) would.
 */
export function remoteStatus(cause: unknown): number | undefined {
  try {
    return cause instanceof RemoteAppError ? cause.status : undefined
  } catch {
    return undefined
  }
}

/**
 * A remote app (an `httpApp` of `sessionflow/vtex`) answered badly: a non-2xx status, a body that
 * is not JSON or not the expected shape, writes it may not make, or no answer at all. Thrown by
 * its transform, so like any app failure it is isolated (in the wave's report, with `status`) or,
 * for a critical app, the `cause` of a {@link TransformFailedError} that keeps the status.
 */
export class RemoteAppError extends SessionflowError {
  /** The URL called. */
  readonly url: string
  /** The HTTP status of the answer; `undefined` when there was none (network error). */
  readonly status: number | undefined

  constructor(url: string, status: number | undefined, message: string, cause?: unknown) {
    super('TRANSFORM_FAILED', message, { cause })
    this.url = url
    this.status = status
  }
}

/** Compare-and-set kept failing against another writer; retries are exhausted. Nothing was saved. */
export class ConflictError extends SessionflowError {
  /** The contended session. */
  readonly sessionId: string
  /** Attempts made (read, run, compare-and-set) before giving up: 1 + the retries. */
  readonly attempts: number

  constructor(sessionId: string, attempts: number, message?: string) {
    super('CONFLICT', message ?? `session ${sessionId} kept changing under us; gave up after ${attempts} attempts`)
    this.sessionId = sessionId
    this.attempts = attempts
  }
}

/**
 * A call made from a transform (`{ from: ctx }`, or in the transform's synchronous part) on a
 * session whose cycle is waiting for that transform — its own session, or one whose cycle waits,
 * through other such calls, on it. Waiting would never end, so it fails at once, before anything
 * is read or saved (code `CONFLICT`, `attempts` 0).
 */
export class ReentrantCallError extends ConflictError {
  /** The loop of waits this call would close: the caller's session, the called one, ..., the caller's again. */
  readonly waitChain: readonly string[]

  constructor(sessionId: string, waitChain: readonly string[]) {
    super(
      sessionId,
      0,
      `a transform of session ${waitChain[0]} called the engine on session ${sessionId}, whose cycle waits for it (${waitChain.join(' -> ')}): it would wait forever`,
    )
    this.waitChain = waitChain
  }
}

/** The store threw or rejected. The stored session is as it was before the call. */
export class StoreError extends SessionflowError {
  /** Which store operation failed. */
  readonly operation: 'get' | 'put' | 'delete' | 'rotate'

  constructor(operation: 'get' | 'put' | 'delete' | 'rotate', cause: unknown) {
    super('STORE', `store ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.operation = operation
  }
}
