import { ConflictError } from '../model/errors'

/**
 * How the compare-and-set update loop retries after losing to another writer: up to `maxRetries`
 * re-runs, each after a random pause of 0 to `min(maxDelayMs, baseDelayMs * 2^(retry - 1))` ms
 * ("full jitter": writers that collided spread out instead of colliding again in step).
 */
export interface RetryPolicy {
  /** Re-runs after a conflict before `ConflictError`. */
  readonly maxRetries: number
  /** Upper bound of the first pause, in ms; it doubles with each retry. */
  readonly baseDelayMs: number
  /** Upper bound of any pause, in ms. */
  readonly maxDelayMs: number
}

/**
 * The engine's default retry policy: 30 retries, pauses capped at 2, 4, 8, ... 100 ms. Budget:
 * at most 31 attempts, and at most 2,526 ms of pauses in all (half that on average), plus the
 * attempts themselves. Sized so that 4 processes each running 250 concurrent read-modify-write
 * patches on 10 shared Redis sessions all succeed (`test/redis/multiprocess.test.ts`).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxRetries: 30, baseDelayMs: 2, maxDelayMs: 100 })

/** What the loop needs of the engine's clock: its timers (the global ones when it has none) and, optionally, its random source. */
export interface LoopClock {
  /** Current time in ms (unused by the loop; it makes any `Clock` a `LoopClock`). */
  now(): number
  /** Runs `callback` after `ms` of this clock's time. */
  setTimeout?(callback: () => void, ms: number): unknown
  /** A number in [0, 1), for the jitter; `Math.random` when absent. */
  random?(): number
}

/** What one attempt returns when it lost the compare-and-set: the loop re-runs it. */
export const CONFLICT: unique symbol = Symbol('sessionflow.conflict')

/**
 * The one compare-and-set loop of every stateful call (patch, JSON Patch, touch): runs `attempt`
 * (read, compute, compare-and-set write) until it returns something other than {@link CONFLICT},
 * pausing between re-runs as `policy` says; after `policy.maxRetries` re-runs it throws
 * `ConflictError` with the number of attempts made. `onRetry` is told before each re-run (the
 * attempt about to run, and the session).
 *
 * `attempt` may answer synchronously (a synchronous store and cycle): the first attempt, nearly
 * always the only one, then costs no promise of the loop's own.
 */
export function updateLoop<T>(
  sessionId: string,
  attempt: (attempt: number) => T | typeof CONFLICT | Promise<T | typeof CONFLICT>,
  policy: RetryPolicy,
  clock: LoopClock,
  onRetry?: (attempt: number, sessionId: string) => void,
): Promise<T> {
  let first: T | typeof CONFLICT | Promise<T | typeof CONFLICT>
  try {
    first = attempt(1)
  } catch (error) {
    return Promise.reject(error)
  }
  if (first instanceof Promise) return first.then((result) => (result === CONFLICT ? retry(sessionId, attempt, policy, clock, onRetry) : (result as T)))
  return first === CONFLICT ? retry(sessionId, attempt, policy, clock, onRetry) : Promise.resolve(first as T)
}

/** The re-runs after a first attempt that lost. */
async function retry<T>(
  sessionId: string,
  attempt: (attempt: number) => T | typeof CONFLICT | Promise<T | typeof CONFLICT>,
  policy: RetryPolicy,
  clock: LoopClock,
  onRetry: ((attempt: number, sessionId: string) => void) | undefined,
): Promise<T> {
  for (let n = 1; ; n++) {
    if (n > policy.maxRetries) throw new ConflictError(sessionId, n)
    await pause(clock, backoffMs(policy, n, clock))
    onRetry?.(n + 1, sessionId)
    const result = await attempt(n + 1)
    if (result !== CONFLICT) return result as T
  }
}

/** The pause before re-run `retry` (1 = the first re-run): uniform in [0, cap). */
export function backoffMs(policy: RetryPolicy, retry: number, clock: LoopClock): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry - 1, 30))
  const random = clock.random?.() ?? Math.random()
  return cap * (Number.isFinite(random) ? Math.min(Math.max(random, 0), 1) : 0.5)
}

function pause(clock: LoopClock, ms: number): Promise<void> {
  // no timer for no pause: a ManualClock nobody advances would never fire it
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve) => {
    if (typeof clock.setTimeout === 'function') clock.setTimeout(resolve, ms)
    else setTimeout(resolve, ms)
  })
}
