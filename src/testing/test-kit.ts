/**
 * Testing kit for apps and engines (exported from `sessionflow/testing`): run one transform in
 * isolation with the engine's own input shaping and output checks, build an engine with a manual
 * clock and deterministic ids, and read a cycle's waves. Imports no test runner.
 */
import { type App, type AppConfig, type AppOutput, type ParamDeclaration, compileApp, matchesPrefix } from '../core/app'
import { readChanges } from '../writes/changes'
import { type Clock, ManualClock, systemClock, timersOf } from '../core/clock'
import { SessionEngine } from '../core/engine'
import { type SessionEngineOptions, checkOptions } from '../core/options'
import { DEFAULT_LIMITS, type Limits } from '../util/json'
import type { AppFailure, CycleReport } from '../model/report'
import type { SessionValidator } from '../features/schema'
import type { JsonValue, Namespaces } from '../model/session'
import { MemoryStore } from '../core/store'
import type { TypedChanges } from '../features/typed'
import { runApp as runCompiled } from '../core/run-app'

/** Options of {@link runApp}. */
export interface RunAppOptions {
  /** `ctx.sessionId`; default `undefined` (as in a pure run). */
  readonly sessionId?: string
  /** `ctx.wave`; default 1. */
  readonly wave?: number
  /** Run as in the create wave: the app gets its declared namespaces and no params (`input` is ignored). */
  readonly create?: boolean
  /** Output validators, as the engine's `schema` option (`sessionSchema({...})`); failing outputs fail the run. */
  readonly schema?: SessionValidator
  /** Size limits for values; default {@link DEFAULT_LIMITS}. */
  readonly limits?: Partial<Limits>
  /** Schedules the app's timeout: e.g. a {@link ManualClock} to time it out with `advance()`. Default: the global timers. */
  readonly clock?: Clock
}

/** What {@link runApp} returns: the app's checked output, as the engine would merge it. */
export interface RunAppResult<O extends ParamDeclaration = ParamDeclaration> {
  /** `'failed'` when the transform threw, rejected, timed out or returned an invalid output. */
  readonly status: 'ok' | 'failed'
  /** The declared writes that would be merged (`undefined` values delete); `{}` when failed. */
  readonly output: AppOutput<O>
  /** Writes outside the declared outputs: dropped by the engine. */
  readonly undeclared: readonly string[]
  /** Why the output was dropped, when `status` is `'failed'`. */
  readonly error?: AppFailure
  /** Wall time of the transform, ms. */
  readonly durationMs: number
}

/**
 * Runs one app's transform in isolation, exactly as a wave would: the input keeps only the
 * declared params (every declared namespace present, frozen), the output is checked (declared
 * namespaces, plain JSON, undeclared keys set aside, validators) and timeouts apply. Never throws
 * for a failing transform: look at `status` and `error`.
 *
 * ```ts
 * const { output } = await runApp(checkoutApp, { public: { country: 'DE', postalCode: '10115' } })
 * ```
 */
export async function runApp<I extends ParamDeclaration, O extends ParamDeclaration>(
  app: App<I, O, any>,
  input: TypedChanges<Namespaces> = {},
  options: RunAppOptions = {},
): Promise<RunAppResult<O>> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const compiled = compileApp(app as unknown as AppConfig, 0, undefined, checkOptions({ schema: options.schema }).schema)
  let shaped: unknown = compiled.emptyInput
  if (options.create !== true) {
    const given = new Map<string, JsonValue>()
    for (const { namespace, key, value } of readChanges(input, limits)) {
      if (value !== undefined) given.set(`${namespace}.${key}`, value)
    }
    const namespaces: Record<string, Record<string, JsonValue>> = {}
    for (const ns of compiled.inputNamespaces) namespaces[ns] = {}
    for (const { namespace, params, prefixes } of compiled.inputGroups) {
      for (const param of params) {
        const value = given.get(param)
        if (value !== undefined) namespaces[namespace]![param.slice(namespace.length + 1)] = value
      }
      if (prefixes === undefined) continue
      for (const [param, value] of given) {
        const key = param.slice(namespace.length + 1)
        if (param.startsWith(`${namespace}.`) && matchesPrefix(prefixes, key)) namespaces[namespace]![key] = value
      }
    }
    for (const ns of compiled.inputNamespaces) Object.freeze(namespaces[ns])
    shaped = Object.freeze(namespaces)
  }
  const settled = await runCompiled(compiled, shaped, options.sessionId, options.wave ?? 1, limits, timersOf(options.clock ?? systemClock))
  const output: Record<string, Record<string, JsonValue | undefined>> = {}
  for (const { namespace, key, value } of settled.writes) (output[namespace] ??= {})[key] = value
  const result: { -readonly [K in keyof RunAppResult<O>]: RunAppResult<O>[K] } = {
    status: settled.error === undefined ? 'ok' : 'failed',
    output: output as AppOutput<O>,
    undeclared: settled.undeclared ?? [],
    durationMs: settled.durationMs,
  }
  if (settled.error !== undefined) result.error = settled.error
  return result
}

/** Options of {@link createTestEngine}: the engine's, plus the clock's start and the id prefix. */
export type TestEngineOptions<S extends object = Namespaces> = SessionEngineOptions<S> & {
  /** Start of the manual clock, ms. Default 0. */
  readonly startMs?: number
  /** Ids are `${idPrefix}1`, `${idPrefix}2`, ... Default `'s-'`. */
  readonly idPrefix?: string
}

/** What {@link createTestEngine} returns. */
export interface TestEngine<S extends object = Namespaces> {
  readonly engine: SessionEngine<S>
  /** The engine's clock: `clock.advance(ms)` expires sessions and fires the app timeouts that fall due. */
  readonly clock: ManualClock
  /** The engine's store. */
  readonly store: MemoryStore
}

/**
 * An engine for tests: a {@link MemoryStore}, a {@link ManualClock} and deterministic ids
 * (`s-1`, `s-2`, ...). Any option can still be overridden.
 *
 * ```ts
 * const { engine, clock } = createTestEngine({ apps: [storeApp] })
 * ```
 */
export function createTestEngine<S extends object = Namespaces>(options: TestEngineOptions<S> = {}): TestEngine<S> {
  const { startMs, idPrefix = 's-', ...rest } = options
  const clock = rest.clock instanceof ManualClock ? rest.clock : new ManualClock(startMs ?? 0)
  const store = rest.store instanceof MemoryStore ? rest.store : new MemoryStore({ now: () => clock.now() })
  let next = 0
  const engine = new SessionEngine<S>({ generateId: () => `${idPrefix}${++next}`, ...rest, clock, store })
  return { engine, clock, store }
}

/** The apps that ran in each wave of a cycle, e.g. `[['store'], ['checkout', 'campaigns']]`. */
export function wavesOf(report: Pick<CycleReport, 'waves'>): string[][] {
  return report.waves.map((wave) => wave.apps.map((run) => run.app))
}

/** The params each wave changed, e.g. `[['store.channel', 'store.currencyCode'], ['checkout.regionId']]`. */
export function changesOf(report: Pick<CycleReport, 'waves'>): string[][] {
  return report.waves.map((wave) => [...wave.changed])
}

/**
 * Throws an `Error` describing the difference unless the cycle ran exactly `expected` (app names
 * per wave; order within a wave does not matter, since it is not part of the contract).
 *
 * ```ts
 * expectWaves(report, [['store'], ['checkout', 'campaigns']])
 * ```
 */
export function expectWaves(report: Pick<CycleReport, 'waves'>, expected: readonly (readonly string[])[]): void {
  const actual = wavesOf(report)
  const norm = (waves: readonly (readonly string[])[]) => JSON.stringify(waves.map((apps) => [...apps].sort()))
  if (norm(actual) !== norm(expected)) {
    throw new Error(`expected waves ${JSON.stringify(expected)}, but the cycle ran ${JSON.stringify(actual)}`)
  }
}
