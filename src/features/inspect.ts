/**
 * Inspection: typed events about what the engine does, for logs, traces and debuggers. With no
 * `inspect` option nothing here runs: the engine checks one `undefined` per wave and per app.
 */
import type { AppRunReport, CycleReport, WaveReport } from '../model/report'

/** Emitted before a cycle (create, patch, pure run) applies the call's changes. */
export interface CycleStartEvent {
  readonly type: 'cycle:start'
  readonly kind: CycleReport['kind']
  /** `undefined` in pure runs. */
  readonly sessionId: string | undefined
  /** Params the call writes (`ns.key`), before change detection. */
  readonly writes: readonly string[]
}

/** Emitted when a cycle ends, with its report, or with the error that stopped it. */
export interface CycleEndEvent {
  readonly type: 'cycle:end'
  readonly kind: CycleReport['kind']
  readonly sessionId: string | undefined
  readonly durationMs: number
  /** The cycle's report (without the call-level fields such as `attempts`); absent when the cycle threw. */
  readonly report?: Omit<CycleReport, 'attempts' | 'segmentChanged'>
  /** `TransformLoopError`, `TransformFailedError`...; absent when the cycle ended normally. */
  readonly error?: unknown
}

/** Emitted when a wave starts, before any of its apps. */
export interface WaveStartEvent {
  readonly type: 'wave:start'
  readonly sessionId: string | undefined
  readonly wave: number
  readonly kind: WaveReport['kind']
  /** Changed params that triggered the wave (empty for the create wave). */
  readonly trigger: readonly string[]
  /** Apps about to run, in engine order. */
  readonly apps: readonly string[]
}

/** Emitted when a wave's outputs are merged. */
export interface WaveEndEvent {
  readonly type: 'wave:end'
  readonly sessionId: string | undefined
  readonly report: WaveReport
}

/** Emitted just before an app's transform is called. */
export interface AppStartEvent {
  readonly type: 'app:start'
  readonly sessionId: string | undefined
  readonly wave: number
  readonly app: string
}

/**
 * Emitted for every app of a wave once the wave's outputs are merged (only then is it known which
 * of its writes changed something); `durationMs` is the transform's own time. When a critical app
 * fails, every app of that wave still gets its `app:end` (with `changed: []`) before `cycle:end`.
 */
export interface AppEndEvent extends AppRunReport {
  readonly type: 'app:end'
  readonly sessionId: string | undefined
  readonly wave: number
}

/** A compare-and-set `put` found another version: another writer got there first. */
export interface StoreConflictEvent {
  readonly type: 'store:conflict'
  readonly sessionId: string
  /** The version the engine expected (`undefined` for a new session). */
  readonly expectedVersion: number | undefined
}

/** The engine re-reads the session and re-runs the cycle after a conflict. */
export interface StoreRetryEvent {
  readonly type: 'store:retry'
  readonly sessionId: string
  /** 2 for the first retry. */
  readonly attempt: number
}

/** A session was written to the store (create, saved change, touch). */
export interface StoreSaveEvent {
  readonly type: 'store:save'
  readonly sessionId: string
  readonly version: number
  /** Time the store took, ms. */
  readonly durationMs: number
}

/** Every event the `inspect` option receives; switch on `type`. */
export type InspectEvent =
  | CycleStartEvent
  | CycleEndEvent
  | WaveStartEvent
  | WaveEndEvent
  | AppStartEvent
  | AppEndEvent
  | StoreConflictEvent
  | StoreRetryEvent
  | StoreSaveEvent

/**
 * The `inspect` engine option. Called synchronously, in order, on the engine's path: keep it
 * cheap, and hand heavy work off. A throwing inspector is ignored (observation never changes an
 * outcome); a returned promise is not awaited.
 */
export type Inspector = (event: InspectEvent) => void

/** Wraps the user's inspector so that it can never throw into the engine; `undefined` stays `undefined`. */
export function safeInspector(inspect: unknown): Inspector | undefined {
  if (inspect === undefined) return undefined
  if (typeof inspect !== 'function') return inspect as never // the engine reports this as a ConfigError
  return (event) => {
    try {
      const result: unknown = inspect(event)
      // a rejected promise from an async inspector must not become an unhandled rejection
      if (result instanceof Promise) result.catch(() => {})
    } catch {
      // ignored on purpose: see Inspector
    }
  }
}

/** `app:end` for each app of a merged wave, then `wave:end`. */
export function waveEnded(inspect: Inspector, sessionId: string | undefined, report: WaveReport): void {
  appsEnded(inspect, sessionId, report.wave, report.apps)
  inspect({ type: 'wave:end', sessionId, report })
}

/** `app:end` for each app of a wave; a wave a critical failure aborted merged nothing, so its `changed` lists are empty. */
export function appsEnded(inspect: Inspector, sessionId: string | undefined, wave: number, apps: readonly AppRunReport[]): void {
  for (const run of apps) inspect({ type: 'app:end', sessionId, wave, ...run })
}
