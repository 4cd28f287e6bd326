import type { CompiledApp, TransformContext } from './app'
import { type Timers, realTimers } from './clock'
import { InvalidValueError, remoteStatus } from '../model/errors'
import { type Limits, describe, isPlainObject, scalarJson, toJson } from '../util/json'
import type { AppFailure, AppFailureKind } from '../model/report'
import type { JsonValue, Write } from '../model/session'


/** How one app run ended. */
export interface Settled {
  readonly app: CompiledApp
  readonly durationMs: number
  readonly writes: readonly Write[]
  readonly undeclared: readonly string[] | undefined
  readonly error: AppFailure | undefined
  /** Set when the result came from the transform cache (or a concurrent run with the same input). */
  readonly cached?: true
}

const NO_WRITES: readonly Write[] = Object.freeze([])

let running: TransformContext | undefined

/**
 * The `ctx` of the transform whose synchronous part is running right now, if any: an engine call
 * made there is known to come from that transform even without `{ from: ctx }`.
 */
export function runningTransform(): TransformContext | undefined {
  return running
}

/**
 * Runs one transform, its timeout scheduled on `timers` (the engine clock's). Returns
 * synchronously when the transform is synchronous, so a wave of sync apps never pays for promises
 * (and, given `start`, reads the clock once per app; given `start` < 0, not at all: its
 * `durationMs` is then -1); otherwise a promise that always resolves
 * (failures are data, not rejections) so `Promise.all` over a wave waits for every app.
 */
export function runApp(
  app: CompiledApp,
  input: unknown,
  sessionId: string | undefined,
  wave: number,
  limits: Limits,
  timers: Timers,
  start: number = performance.now(),
  signal?: AbortSignal,
): Settled | Promise<Settled> {
  const result = call(app, input, sessionId, wave, timers)
  if (result === THREW) return failed(app, start, 'threw', takeThrown())
  if (result === OVERRAN) return failed(app, start, 'timeout', undefined)
  if (result !== ASYNC) return settle(app, start, result, limits)
  return later(app, start, limits, timers, signal)
}

/**
 * {@link runApp} for the cycle's common case, an app without validators or cache: a synchronous
 * result is read into `out` (no write objects) and the outcome is `undefined` (ok) or the
 * failure; an async one gives the same promise as `runApp` (`start` < 0: timed from its promise).
 */
export function runInto(
  app: CompiledApp,
  input: unknown,
  sessionId: string | undefined,
  wave: number,
  limits: Limits,
  timers: Timers,
  start: number,
  signal: AbortSignal | undefined,
  out: Output,
): AppFailure | undefined | Promise<Settled> {
  const result = call(app, input, sessionId, wave, timers)
  if (result === THREW) return failure(app, 'threw', takeThrown())
  if (result === OVERRAN) return failure(app, 'timeout', undefined)
  if (result === ASYNC) return later(app, start, limits, timers, signal)
  try {
    readOutput(app, result, limits, out)
    return undefined
  } catch (error) {
    return failure(app, 'invalid-output', error)
  }
}

/** What {@link call} returns instead of a result: the transform threw, overran its timeout, or returned a thenable. */
const THREW = {}
const OVERRAN = {}
const ASYNC = {}
/** The thrown value, the async run's `ctx` and its thenable, handed from {@link call} to its caller (no object per run). */
let thrown: unknown
let pendingCtx: RunContext | undefined
let pendingResult: PromiseLike<unknown> | undefined
/** When the async run was called, in its timers' time (read only for an app with a timeout). */
let pendingFrom = 0

function takeThrown(): unknown {
  const error = thrown
  thrown = undefined
  return error
}

/** Calls the transform with its own `ctx`, marked as the running transform during its synchronous part. */
function call(app: CompiledApp, input: unknown, sessionId: string | undefined, wave: number, timers: Timers): unknown {
  const timeoutMs = app.timeoutMs
  const ctx = new RunContext(sessionId, app.name, wave)
  // the overrun of a synchronous app is measured in the timers' time, so a manual clock drives it too
  const timedFrom = timeoutMs === undefined ? 0 : timers.now()
  pendingFrom = timedFrom
  let result: unknown
  const outer = running
  running = ctx
  try {
    result = app.transform(input as never, ctx)
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      pendingCtx = ctx
      pendingResult = result as PromiseLike<unknown>
      return ASYNC
    }
  } catch (error) {
    thrown = error
    return THREW
  } finally {
    running = outer
  }
  // a synchronous transform cannot be interrupted, but one that overran is treated like an async one that timed out
  if (timeoutMs !== undefined && timers.now() - timedFrom > timeoutMs) {
    abortRun(ctx, timeoutReason(app))
    return OVERRAN
  }
  return result
}

/** The async tail of a run whose transform returned a thenable ({@link call} left it and its `ctx` aside). */
function later(app: CompiledApp, start: number, limits: Limits, timers: Timers, signal: AbortSignal | undefined): Promise<Settled> {
  const ctx = pendingCtx!
  const result = pendingResult!
  pendingCtx = pendingResult = undefined
  const timeoutMs = app.timeoutMs
  const calledAt = pendingFrom
  // an untimed app (`start` < 0) that turns out async is timed from its call, when that was read
  // for its timeout on the real timers (whose clock is performance.now()), else from its promise on
  if (start < 0) start = timeoutMs !== undefined && timers === realTimers ? calledAt : performance.now()
  // the call's deadline reaches the running transform through ctx.signal (the cycle itself stops waiting for it)
  const onAbort = signal === undefined ? undefined : () => abortRun(ctx, signal.reason)
  if (onAbort !== undefined) {
    if (signal!.aborted) onAbort()
    else signal!.addEventListener('abort', onAbort, { once: true })
  }
  return new Promise<Settled>((resolve) => {
    let done = false
    let handle: unknown
    const expire = () => {
      if (done) return
      done = true
      abortRun(ctx, timeoutReason(app))
      resolve(failed(app, start, 'timeout', undefined))
    }
    // on the real timers, the timeout is armed only if the result is still pending after a few
    // microtask turns: most async transforms (an awaited constant, a cached lookup) settle within
    // them, and arming and clearing a timer per run cost 1.05-1.09x a realistic stored patch (Node
    // makes and drops its list of timers of that length with each). No timer can fall due during
    // microtasks, so the deadline, still counted from the call, is kept. A host's clock (a test's
    // ManualClock) gets its timer at once, so a test sees it as soon as the run has started.
    if (timeoutMs !== undefined) {
      const arm = () => {
        if (!done) handle = timers.setTimeout(expire, Math.max(0, timeoutMs - (timers.now() - calledAt)))
      }
      if (timers === realTimers) afterTurns(ARM_AFTER_TURNS, arm)
      else arm()
    }
    Promise.resolve(result).then(
      (value) => {
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort)
        if (done) return // arrived after the timeout: ignored
        done = true
        if (handle !== undefined) timers.clearTimeout(handle)
        resolve(settle(app, start, value, limits))
      },
      (error: unknown) => {
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort)
        if (done) return
        done = true
        if (handle !== undefined) timers.clearTimeout(handle)
        resolve(failed(app, start, 'rejected', error))
      },
    )
  })
}

/** Microtask turns an async run gets to settle before its timeout is armed. */
const ARM_AFTER_TURNS = 4

/** Calls `fn` after `turns` microtask turns (promise jobs: unlike `queueMicrotask`, no fake-timer library replaces them). */
function afterTurns(turns: number, fn: () => void): void {
  let p: Promise<void> = RESOLVED
  for (let i = 1; i < turns; i++) p = p.then(NOOP)
  void p.then(fn)
}

const RESOLVED = Promise.resolve()
const NOOP = (): void => {}

let abortRun: (ctx: RunContext, reason: unknown) => void

/**
 * One run's `ctx`. Each run has its own `ctx.signal`, so listeners or properties one run puts on
 * it never reach another run (of another session). The signal is made on first read: most
 * transforms never read it, and in Node an `AbortController` with its signal cost about 3 µs of a
 * realistic patch (18 % of its profile). Read after the timeout, it is already aborted with the
 * timeout's reason; an app without a timeout gets one that is never aborted.
 */
class RunContext implements TransformContext {
  // one field, made when the signal is first read or the run is aborted: most runs never need it
  #state: RunState | undefined = undefined

  constructor(
    readonly sessionId: string | undefined,
    readonly app: string,
    readonly wave: number,
  ) {}

  get signal(): AbortSignal {
    const state = (this.#state ??= newState())
    if (state.signal === undefined) {
      if (state.aborted) state.signal = AbortSignal.abort(state.reason)
      else state.signal = (state.controller = new AbortController()).signal
    }
    return state.signal
  }

  static {
    // outside the class, not a method: a transform holding ctx must not be able to abort it
    abortRun = (ctx, reason) => {
      const state = (ctx.#state ??= newState())
      if (state.aborted) return
      state.aborted = true
      state.reason = reason
      state.controller?.abort(reason)
    }
  }
}

interface RunState {
  controller: AbortController | undefined
  signal: AbortSignal | undefined
  reason: unknown
  aborted: boolean
}

function newState(): RunState {
  return { controller: undefined, signal: undefined, reason: undefined, aborted: false }
}

function timeoutReason(app: CompiledApp): Error {
  return new DOMException(`app "${app.name}" exceeded its timeout of ${app.timeoutMs} ms`, 'TimeoutError')
}

/** Ms since `start`; -1 (no clock read) for an untimed sync app, whose wave shares out its duration. */
function since(start: number): number {
  return start < 0 ? -1 : performance.now() - start
}

function failed(app: CompiledApp, start: number, kind: AppFailureKind, cause: unknown): Settled {
  return { app, durationMs: since(start), writes: NO_WRITES, undeclared: undefined, error: failure(app, kind, cause) }
}

function failure(app: CompiledApp, kind: AppFailureKind, cause: unknown): AppFailure {
  const message = kind === 'timeout' ? `exceeded timeoutMs (${app.timeoutMs} ms)` : describeThrown(cause)
  const status = remoteStatus(cause)
  return status === undefined ? { kind, message, cause } : { kind, message, cause, status }
}

/**
 * A message for whatever a transform threw. Never throws itself: a revoked proxy or an error whose
 * `message` getter throws must still be isolated like any failure — a throw here would escape the
 * wave (or, in the async path, leave the wave's promise pending forever).
 */
function describeThrown(cause: unknown): string {
  try {
    if (cause instanceof Error) return String(cause.message)
  } catch {
    return 'an error whose message cannot be read'
  }
  return safeString(cause)
}

function safeString(value: unknown): string {
  try {
    return String(value)
  } catch {
    return typeof value
  }
}

/**
 * The buffer {@link settle} reads into, lent out while it reads (a getter of the result that starts
 * another cycle's run gets a fresh one): one fewer object and two arrays per async run.
 */
let spare: Output | undefined

function settle(app: CompiledApp, start: number, result: unknown, limits: Limits): Settled | Promise<Settled> {
  const out = spare ?? new Output()
  spare = undefined
  try {
    readOutput(app, result, limits, out)
    const undeclared = out.undeclared
    if (out.count === 0) return { app, durationMs: since(start), writes: NO_WRITES, undeclared, error: undefined }
    const writes: Write[] = new Array(out.count)
    for (let i = 0; i < out.count; i++) {
      const { namespace, key, param } = app.outputList[out.locals[i]!]!
      writes[i] = { namespace, key, param, value: out.values[i] }
    }
    if (app.validators !== undefined) {
      // the engine's `schema` validators: a failing output is isolated like any invalid output
      const checked = app.validators.validate(writes, limits)
      if (!(checked instanceof Promise)) return { app, durationMs: since(start), writes: checked, undeclared, error: undefined }
      return checked.then(
        (valid) => ({ app, durationMs: since(start), writes: valid, undeclared, error: undefined }),
        (error: unknown) => failed(app, start, 'invalid-output', error),
      )
    }
    return { app, durationMs: since(start), writes, undeclared, error: undefined }
  } catch (error) {
    return failed(app, start, 'invalid-output', error)
  } finally {
    // given back: the writes (and `undeclared`, a new array per read) hold what was read
    spare = out
  }
}

/**
 * One app's output as read by {@link readOutput}: `count` writes, each an index into the app's
 * `outputList` and a checked, frozen value. Reused from run to run: no object per write.
 */
export class Output {
  count = 0
  readonly locals: number[] = [0]
  readonly values: Array<JsonValue | undefined> = [null]
  undeclared: string[] | undefined = undefined
}

/**
 * Checks a transform's result and reads its writes into `out`, copying and freezing values at
 * once so a transform that keeps a reference cannot change them later. The result is read the way
 * `JSON.stringify` reads an object: own enumerable string keys, each read once (a getter runs
 * once and its value is what lands); symbol keys and non-enumerable properties are not output.
 * Undeclared params are set aside; anything malformed throws, which isolates the app like a throw.
 */
function readOutput(app: CompiledApp, result: unknown, limits: Limits, out: Output): void {
  out.count = 0
  out.undeclared = undefined
  if (result === undefined) return
  if (!isPlainObject(result)) {
    throw new InvalidValueError(`transform must return a plain object or undefined, got ${describe(result)}`)
  }
  let count = 0
  // Object.keys, not descriptors: with a thousand output shapes, reading names, descriptors and
  // symbols of each object cost about 270 ns per app run (Node 20), Object.keys about 70 ns
  const namespaces = Object.keys(result)
  for (let i = 0; i < namespaces.length; i++) {
    const namespace = namespaces[i]!
    const nsValue = result[namespace]
    if (nsValue === undefined) continue
    const first = namespace === app.outputNamespace
    const declared = first ? app.outputKeys : app.outputParams.get(namespace)
    if (declared === undefined) throw new InvalidValueError(`writes namespace "${namespace}", which is not in its output`)
    if (!isPlainObject(nsValue)) throw new InvalidValueError(`must be a plain object, got ${describe(nsValue)}`, namespace)
    // The keys are Object.keys' list, taken before any getter runs, and each is read once, in
    // order, as before; but the reads happen in a for…in over the object. With a thousand output
    // shapes, `nsValue[key]` over a list is a megamorphic load; with the for…in's own key, V8
    // loads through the shape's enum cache (wide wave 0.965x the time, side by side).
    // for…in lists the same own keys in the same order, then inherited enumerable ones (ignored);
    // it skips an own key deleted (by a getter) before its turn, which a read would have found
    // undefined: such a key is taken as undefined.
    const keys = Object.keys(nsValue)
    let j = 0
    for (const key in nsValue) {
      while (j < keys.length && keys[j] !== key) count = deleted(app, namespace, first, declared, keys[j++]!, out, count)
      if (j === keys.length) break
      j++
      const local = first && key === app.outputKey ? 0 : declared.get(key)
      if (local === undefined) {
        ;(out.undeclared ??= []).push(`${namespace}.${key}`)
        continue
      }
      const value = nsValue[key]
      // the param's name (two more objects to reach, a cache miss each in a wide wave) only for a value that needs the walk
      put(out, count++, local, value === undefined ? undefined : (scalarJson(value, limits) ?? toJson(value, app.outputList[local]!.param, limits)))
    }
    while (j < keys.length) count = deleted(app, namespace, first, declared, keys[j++]!, out, count)
  }
  out.count = count
}

/** Appends a checked write (`local`: the index in the app's `outputList`) at `count` of `out`. */
function put(out: Output, count: number, local: number, checked: JsonValue | undefined): void {
  if (count < out.locals.length) {
    out.locals[count] = local
    out.values[count] = checked
  } else {
    out.locals.push(local)
    out.values.push(checked)
  }
}

/** {@link readOutput} of an own key deleted before its turn: its value is undefined. Returns the new count. */
function deleted(app: CompiledApp, namespace: string, first: boolean, declared: ReadonlyMap<string, number>, key: string, out: Output, count: number): number {
  const local = first && key === app.outputKey ? 0 : declared.get(key)
  if (local === undefined) (out.undeclared ??= []).push(`${namespace}.${key}`)
  else put(out, count++, local, undefined)
  return count
}
