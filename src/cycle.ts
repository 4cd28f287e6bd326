import type { CompiledApp } from './app'
import { Draft } from './draft'
import { TransformFailedError, TransformLoopError } from './errors'
import type { AppGraph } from './graph'
import { type Limits, jsonEqual } from './json'
import type { Operation } from './jsonpatch-types'
import type { AppRunReport, CycleReport, WaveReport, WriteConflict } from './report'
import type { JsonValue, Namespaces } from './session'
import { type Inspector, waveAborted, waveEnded } from './inspect'
import { type Settled, type Write, runApp } from './wave'

/** Everything a cycle needs besides the session: the pure function's fixed arguments. */
export interface CycleSettings {
  readonly graph: AppGraph
  readonly limits: Limits
  readonly maxWaves: number
  /** The engine's `inspect` option (wrapped so it cannot throw); `undefined` costs nothing. */
  readonly inspect?: Inspector | undefined
}

/** A cycle's outcome, before anything is saved. */
export interface CycleOutcome {
  readonly namespaces: Namespaces
  readonly patch: Operation[]
  readonly report: Omit<CycleReport, 'attempts' | 'segmentChanged'>
  /** Change in approximate JSON size of the namespaces. */
  readonly sizeDelta: number
  /** Most keys in a namespace the cycle changed (for the keys-per-namespace limit). */
  readonly largestNamespace: number
}

interface Change {
  readonly namespace: string
  readonly key: string
  readonly param: string
  readonly before: JsonValue | undefined
}

interface WaveRecord {
  /** Indexes into the graph's apps (names are only needed if the cycle turns out to loop). */
  readonly apps: readonly number[]
  readonly changes: readonly Change[]
}

/**
 * Runs one cycle: applies the call's writes, then waves until no monitored param changes. Pure:
 * a function of (graph, namespaces, writes); no store, no clock, no ids. Throws
 * `TransformLoopError` or `TransformFailedError`; nothing is returned then, so nothing is saved.
 */
export async function runCycle(
  settings: CycleSettings,
  base: Namespaces,
  writes: readonly Write[],
  kind: CycleReport['kind'],
  sessionId: string | undefined,
): Promise<CycleOutcome> {
  const started = performance.now()
  const { graph, maxWaves } = settings
  const draft = new Draft(base)
  let pending: Change[] = []
  for (const { namespace, key, value } of writes) {
    const before = draft.get(namespace, key)
    if (jsonEqual(before, value)) continue
    draft.set(namespace, key, value)
    pending.push({ namespace, key, param: `${namespace}.${key}`, before })
  }
  const trigger = pending.map((c) => c.param)
  const waves: WaveReport[] = []
  if (kind === 'create' && graph.onCreate.length > 0) {
    const created = runWave(settings, draft, graph.onCreate, 'create', [], 1, sessionId)
    const { report, changes } = created instanceof Promise ? await created : created
    waves.push(report)
    // a param both the initial params and the create wave changed triggers (and is listed) once
    const initial = new Set(pending.map((c) => c.param))
    pending = pending.concat(changes.filter((c) => !initial.has(c.param)))
  }
  // loop detection: (trigger set, state) pairs seen at the start of each counted wave
  const history: WaveRecord[] = []
  const seen = new Map<string, number[]>()
  for (;;) {
    const { apps, params } = triggered(graph, pending)
    if (apps.length === 0) break
    const key = params.length === 1 ? params[0]! : params.join('\n')
    const earlier = seen.get(key)
    if (earlier === undefined) seen.set(key, [history.length])
    else {
      for (const i of earlier) if (sameStateSince(draft, history, i)) throw loopError(graph, 'repeat', history, i)
      earlier.push(history.length)
    }
    if (history.length >= maxWaves) throw loopError(graph, 'maxWaves', history, Math.max(0, history.length - 10))
    const ran = runWave(settings, draft, apps, 'changes', params, waves.length + 1, sessionId)
    const { report, changes } = ran instanceof Promise ? await ran : ran
    waves.push(report)
    history.push({ apps, changes })
    pending = changes
  }
  const { namespaces, patch, changed, sizeDelta, largestNamespace } = draft.finish()
  return {
    namespaces,
    patch,
    sizeDelta,
    largestNamespace,
    report: { kind, trigger, waves, changed, durationMs: performance.now() - started },
  }
}

/** Apps monitoring at least one of `changes` (ascending, read-only), and the monitored params among them (sorted). */
function triggered(graph: AppGraph, changes: readonly Change[]): { apps: readonly number[]; params: string[] } {
  let only: readonly number[] | undefined
  let apps: Set<number> | undefined
  const params: string[] = []
  for (const { namespace, key, param } of changes) {
    const list = graph.monitors.get(namespace)?.get(key)
    if (list === undefined) continue
    params.push(param)
    // one monitored change (a chain's common case): its index list is already ascending, no set needed
    if (only === undefined && apps === undefined) only = list
    else {
      apps ??= new Set(only)
      for (const i of list) apps.add(i)
    }
  }
  if (apps === undefined) return { apps: only ?? [], params }
  return { apps: [...apps].sort((a, b) => a - b), params: params.sort() }
}

/**
 * Whether the state now equals the state at the start of wave `i`. Only params changed since
 * then can differ, so it compares those against their value before their first change — cost in
 * proportion to what changed, and exact (no hash that could collide and stop a cycle that ends).
 */
function sameStateSince(draft: Draft, history: readonly WaveRecord[], i: number): boolean {
  const first = new Map<string, Change>()
  for (let w = i; w < history.length; w++) {
    for (const change of history[w]!.changes) if (!first.has(change.param)) first.set(change.param, change)
  }
  for (const { namespace, key, before } of first.values()) {
    if (!jsonEqual(before, draft.get(namespace, key))) return false
  }
  return true
}

function loopError(graph: AppGraph, reason: 'repeat' | 'maxWaves', history: readonly WaveRecord[], from: number): TransformLoopError {
  const apps = new Set<string>()
  const params = new Set<string>()
  for (let w = from; w < history.length; w++) {
    for (const app of history[w]!.apps) apps.add(graph.apps[app]!.name)
    for (const change of history[w]!.changes) params.add(change.param)
  }
  return new TransformLoopError(reason, [...apps], [...params].sort(), history.length)
}

interface Slot {
  readonly namespace: string
  readonly key: string
  readonly before: JsonValue | undefined
  readonly writer: string
  readonly value: JsonValue | undefined
  others?: Array<[app: string, value: JsonValue | undefined]>
}

/**
 * Runs one wave: every app starts on the snapshot taken at the start (inputs are built before
 * any output is merged), async ones concurrently; then outputs merge in `apps` order, so the
 * result never depends on which promise settled first.
 */
function runWave(
  settings: CycleSettings,
  draft: Draft,
  appIndexes: readonly number[],
  kind: WaveReport['kind'],
  trigger: readonly string[],
  wave: number,
  sessionId: string | undefined,
): WaveOutcome | Promise<WaveOutcome> {
  const started = performance.now()
  const { apps } = settings.graph
  const inspect = settings.inspect
  if (inspect) inspect({ type: 'wave:start', sessionId, wave, kind, trigger, apps: appIndexes.map((i) => apps[i]!.name) })
  const runs: Array<Settled | Promise<Settled>> = new Array(appIndexes.length)
  let async = false
  let clock = started
  // every input is built from the same snapshot, so apps declaring the same inputs can share one frozen object
  let shared: Map<string, unknown> | undefined
  for (let i = 0; i < appIndexes.length; i++) {
    const app = apps[appIndexes[i]!]!
    let input: unknown
    if (kind === 'create') input = app.emptyInput
    else {
      input = (shared ??= new Map()).get(app.inputKey)
      if (input === undefined) shared.set(app.inputKey, (input = inputOf(app, draft)))
    }
    if (inspect) inspect({ type: 'app:start', sessionId, wave, app: app.name })
    // a sync app ends where the next one starts: one clock read per app instead of two
    const run = runApp(app, input, sessionId, wave, settings.limits, clock)
    if (run instanceof Promise) {
      async = true
      clock = performance.now()
    } else clock += run.durationMs
    runs[i] = run
  }
  // a wave of sync apps settles without a promise: `await` on it would still cost a microtask per wave
  const merge = (settled: Settled[]) => mergeWave(settings, draft, settled, kind, trigger, wave, sessionId, started)
  return async ? Promise.all(runs).then(merge) : merge(runs as Settled[])
}

interface WaveOutcome {
  readonly report: WaveReport
  readonly changes: Change[]
}

/** The second half of a wave, once every app has settled: critical failures, then the merge in `apps` order. */
function mergeWave(
  settings: CycleSettings,
  draft: Draft,
  settled: readonly Settled[],
  kind: WaveReport['kind'],
  trigger: readonly string[],
  wave: number,
  sessionId: string | undefined,
  started: number,
): WaveOutcome {
  const inspect = settings.inspect
  for (const run of settled) {
    if (run.error !== undefined && run.app.critical) {
      if (inspect) waveAborted(inspect, sessionId, wave, settled)
      throw new TransformFailedError(run.app.name, `${run.error.kind}: ${run.error.message}`, run.error.cause)
    }
  }
  const slots = new Map<string, Slot>()
  const appReports: AppRunReport[] = new Array(settled.length)
  for (let i = 0; i < settled.length; i++) {
    const run = settled[i]!
    const changed: string[] = []
    for (const { namespace, key, value, param: known } of run.writes) {
      const param = known ?? `${namespace}.${key}`
      const slot = slots.get(param)
      if (slot === undefined) {
        const before = draft.get(namespace, key)
        slots.set(param, { namespace, key, before, writer: run.app.name, value })
        if (!jsonEqual(before, value)) {
          changed.push(param)
          draft.set(namespace, key, value)
        }
        continue
      }
      ;(slot.others ??= []).push([run.app.name, value])
      if (!jsonEqual(slot.before, value)) changed.push(param)
      if (!jsonEqual(draft.get(namespace, key), value)) draft.set(namespace, key, value)
    }
    appReports[i] = appReport(run, changed)
  }
  const changes: Change[] = []
  const conflicts: WriteConflict[] = []
  for (const [param, slot] of slots) {
    const { namespace, key, before } = slot
    // a single writer's value is what the draft holds (or equals it): no need to read it back
    const now = slot.others === undefined ? slot.value : draft.get(namespace, key)
    if (!jsonEqual(before, now)) changes.push({ namespace, key, param, before })
    if (slot.others !== undefined && slot.others.some(([, v]) => !jsonEqual(v, slot.value))) {
      const writers = [slot.writer, ...slot.others.map(([app]) => app)]
      conflicts.push({ param, apps: writers, winner: writers[writers.length - 1]! })
    }
  }
  const report: WaveReport = {
    wave,
    kind,
    trigger,
    apps: appReports,
    changed: changes.map((c) => c.param),
    conflicts,
    durationMs: performance.now() - started,
  }
  if (inspect) waveEnded(inspect, sessionId, report)
  return { report, changes }
}

function appReport(run: Settled, changed: string[]): AppRunReport {
  const report: { -readonly [K in keyof AppRunReport]: AppRunReport[K] } = {
    app: run.app.name,
    status: run.error === undefined ? 'ok' : 'failed',
    durationMs: run.durationMs,
    changed,
  }
  if (run.undeclared !== undefined) report.undeclared = run.undeclared
  if (run.error !== undefined) report.error = run.error
  return report
}

/** The frozen input of one app: each declared namespace present, each declared param that is set. */
function inputOf(app: CompiledApp, draft: Draft): unknown {
  const input: Record<string, Record<string, JsonValue>> = {}
  for (const ns of app.inputNamespaces) input[ns] = {}
  for (const [ns, key] of app.inputs) {
    const value = draft.get(ns, key)
    if (value !== undefined) input[ns]![key] = value
  }
  for (const ns of app.inputNamespaces) Object.freeze(input[ns])
  return Object.freeze(input)
}

