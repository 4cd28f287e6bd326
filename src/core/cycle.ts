import type { CompiledApp } from './app'
import type { Timers } from './clock'
import { Draft, type Entry } from './draft'
import { TransformFailedError, TransformLoopError } from '../model/errors'
import type { AppGraph } from './graph'
import { type Limits, jsonEqual } from '../util/json'
import { jsonHash, stringHash } from '../util/json-hash'
import type { Operation } from '../model/operation'
import { type AppRunReport, type CycleReport, type WaveReport, type WriteConflict, appRunReport } from '../model/report'
import type { JsonValue, Namespaces } from '../model/session'
import { type Inspector, appsEnded, waveEnded } from '../features/inspect'
import type { Write } from '../model/session'
import { type Settled, runApp } from './run-app'
import { throwIfAborted, untilAborted } from '../util/abort'
import type { CacheRunner } from './cached-run'

/** Everything a cycle needs besides the session: the pure function's fixed arguments. */
export interface CycleSettings {
  readonly graph: AppGraph
  readonly limits: Limits
  readonly maxWaves: number
  /** Schedules app timeouts: the engine clock's timers. */
  readonly timers: Timers
  /** The engine's `inspect` option (wrapped so it cannot throw); `undefined` costs nothing. */
  readonly inspect?: Inspector | undefined
  /**
   * Time each synchronous app on its own (a clock read per app). Otherwise the sync apps of a
   * wave share its duration equally: one clock read per wave boundary.
   */
  readonly timeApps?: boolean
  /** Runs the apps that declare `cache`; set when any app does. */
  readonly cache?: CacheRunner | undefined
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
  /** Namespaces in `namespaces` when it differs from the base (for the namespaces limit). */
  readonly namespaceCount: number
}

/** A param whose value a wave (or the call's own writes) changed, and its value before. */
interface Change {
  readonly entry: Entry
  readonly before: JsonValue | undefined
  /** The value after the change (the entry's value moves on in later waves). */
  readonly after: JsonValue | undefined
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
  signal?: AbortSignal,
): Promise<CycleOutcome> {
  throwIfAborted(signal)
  const started = performance.now()
  const { graph, maxWaves } = settings
  const draft = new Draft(base, graph.monitors)
  let pending: Change[] = []
  for (const { namespace, key, value, param } of writes) {
    const entry = draft.entry(namespace, key, param)
    const before = entry.value
    if (jsonEqual(before, value)) continue
    entry.value = value
    pending.push({ entry, before, after: value })
  }
  const trigger = pending.map((c) => c.entry.param)
  // a wave starts where the previous one ended: one clock read per wave boundary, not two
  let clock = started
  const waves: WaveReport[] = []
  if (kind === 'create' && graph.onCreate.length > 0) {
    const created = runWave(settings, draft, graph.onCreate, 'create', [], 1, sessionId, clock, signal)
    const { report, changes, ended } = created instanceof Promise ? await (signal === undefined ? created : untilAborted(created, signal)) : created
    waves.push(report)
    clock = ended
    // a param both the initial params and the create wave changed triggers (and is listed) once
    const initial = new Set(pending.map((c) => c.entry))
    pending = pending.concat(changes.filter((c) => !initial.has(c.entry)))
  }
  // loop detection: (trigger set, state) pairs seen at the start of each counted wave
  const history: WaveRecord[] = []
  // trigger set -> the counted waves it started, of which `indexed` are in `byState` (keyed by
  // state hash and trigger set): a repeat can only be among the waves under the same key there;
  // the hash is a filter, the exact comparison decides
  const seen = new Map<string, { waves: number[]; indexed: number }>()
  const byState = new Map<string, number[]>()
  const hashes = [0]
  for (;;) {
    // a wave boundary: an aborted call stops here, before another wave starts
    throwIfAborted(signal)
    const { apps, params } = triggered(pending)
    if (apps.length === 0) break
    const key = params.length === 1 ? params[0]! : params.join('\n')
    const now = history.length
    const repeats = seen.get(key)
    if (repeats === undefined) seen.set(key, { waves: [now], indexed: 0 })
    else {
      for (; repeats.indexed < repeats.waves.length; repeats.indexed++) {
        const wave = repeats.waves[repeats.indexed]!
        const id = `${stateHash(history, hashes, wave)} ${key}`
        const same = byState.get(id)
        if (same === undefined) byState.set(id, [wave])
        else same.push(wave)
      }
      for (const i of byState.get(`${stateHash(history, hashes, now)} ${key}`) ?? []) {
        if (sameStateSince(history, i)) throw loopError(graph, 'repeat', history, i)
      }
      repeats.waves.push(now)
    }
    if (history.length >= maxWaves) throw loopError(graph, 'maxWaves', history, Math.max(0, history.length - 10))
    const ran = runWave(settings, draft, apps, 'changes', params, waves.length + 1, sessionId, clock, signal)
    const { report, changes, ended } = ran instanceof Promise ? await (signal === undefined ? ran : untilAborted(ran, signal)) : ran
    waves.push(report)
    clock = ended
    history.push({ apps, changes })
    pending = changes
  }
  const { namespaces, patch, changed, sizeDelta, largestNamespace, namespaceCount } = draft.finish()
  return {
    namespaces,
    patch,
    sizeDelta,
    largestNamespace,
    namespaceCount,
    report: { kind, trigger, waves, changed, durationMs: performance.now() - started },
  }
}

/**
 * A hash of the state at the start of counted wave `wave` (at most the next to run), relative to
 * the state before the first: each change adds `h(param, after) - h(param, before)`, so equal
 * states hash alike. `hashes` caches them: filled on demand (once a trigger set repeats), each
 * change hashed once — amortized O(changes) per wave, however many waves ran.
 */
function stateHash(history: readonly WaveRecord[], hashes: number[], wave: number): number {
  while (hashes.length <= wave) {
    let state = hashes[hashes.length - 1]!
    for (const { entry, before, after } of history[hashes.length - 1]!.changes) {
      const param = stringHash(entry.param, 5)
      state = (state + Math.imul(param ^ jsonHash(after), 0x9e3779b1) - Math.imul(param ^ jsonHash(before), 0x9e3779b1)) | 0
    }
    hashes.push(state)
  }
  return hashes[wave]!
}

/** Apps monitoring at least one of `changes` (ascending, read-only), and the monitored params among them (sorted). */
function triggered(changes: readonly Change[]): { apps: readonly number[]; params: string[] } {
  let only: readonly number[] | undefined
  let apps: Set<number> | undefined
  const params: string[] = []
  for (const { entry } of changes) {
    const list = entry.monitors
    if (list === undefined) continue
    params.push(entry.param)
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
function sameStateSince(history: readonly WaveRecord[], i: number): boolean {
  const first = new Map<Entry, JsonValue | undefined>()
  for (let w = i; w < history.length; w++) {
    for (const { entry, before } of history[w]!.changes) if (!first.has(entry)) first.set(entry, before)
  }
  for (const [entry, before] of first) if (!jsonEqual(before, entry.value)) return false
  return true
}

function loopError(graph: AppGraph, reason: 'repeat' | 'maxWaves', history: readonly WaveRecord[], from: number): TransformLoopError {
  const apps = new Set<string>()
  const params = new Set<string>()
  for (let w = from; w < history.length; w++) {
    for (const app of history[w]!.apps) apps.add(graph.apps[app]!.name)
    for (const change of history[w]!.changes) params.add(change.entry.param)
  }
  return new TransformLoopError(reason, [...apps], [...params].sort(), history.length)
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
  started: number,
  signal: AbortSignal | undefined,
): WaveOutcome | Promise<WaveOutcome> {
  const { apps } = settings.graph
  const inspect = settings.inspect
  if (inspect) inspect({ type: 'wave:start', sessionId, wave, kind, trigger, apps: appIndexes.map((i) => apps[i]!.name) })
  const runs: Array<Settled | Promise<Settled>> = new Array(appIndexes.length)
  let async = false
  let clock = started
  const timed = settings.timeApps === true || inspect !== undefined
  // every input is built from the same snapshot, so apps declaring the same inputs share one frozen
  // object: the first app's is kept aside (in a wide wave all apps often share it), others in a map
  let firstInput: unknown
  let firstId = -1
  let shared: Map<number, unknown> | undefined
  for (let i = 0; i < appIndexes.length; i++) {
    const app = apps[appIndexes[i]!]!
    let input: unknown
    if (kind === 'create') input = app.emptyInput
    else if (i === 0) {
      input = firstInput = inputOf(app, draft)
      firstId = app.inputId
    } else if (app.inputId === firstId) input = firstInput
    else {
      input = (shared ??= new Map()).get(app.inputId)
      if (input === undefined) shared.set(app.inputId, (input = inputOf(app, draft)))
    }
    if (inspect) inspect({ type: 'app:start', sessionId, wave, app: app.name })
    let run: Settled | Promise<Settled>
    if (app.cache !== undefined) {
      // a caching app is always timed: its report compares a hit with a miss
      const start = timed ? clock : performance.now()
      run = settings.cache!.run(app, input, sessionId, wave, settings.limits, settings.timers, start)
      if (timed) {
        if (run instanceof Promise) clock = performance.now()
        else clock += run.durationMs
      }
    } else if (timed) {
      // a sync app ends where the next one starts: one clock read per app instead of two
      run = runApp(app, input, sessionId, wave, settings.limits, settings.timers, clock, signal)
      if (run instanceof Promise) clock = performance.now()
      else clock += run.durationMs
    } else {
      // untimed (-1): the wave shares out its time
      run = runApp(app, input, sessionId, wave, settings.limits, settings.timers, -1, signal)
    }
    if (run instanceof Promise) async = true
    runs[i] = run
  }
  // a wave of sync apps settles without a promise: `await` on it would still cost a microtask per wave
  if (!async) return mergeWave(settings, draft, runs as Settled[], kind, trigger, wave, sessionId, started, undefined)
  // untimed sync apps share the time up to here, not the async apps' wait
  const syncEnded = timed ? undefined : performance.now()
  return Promise.all(runs).then((settled) => mergeWave(settings, draft, settled, kind, trigger, wave, sessionId, started, syncEnded))
}

interface WaveOutcome {
  readonly report: WaveReport
  readonly changes: Change[]
  /** Clock reading at the wave's end. */
  readonly ended: number
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
  syncEnded: number | undefined,
): WaveOutcome {
  const inspect = settings.inspect
  // every write of the wave lands in its param's entry, in `apps` order (the last writer wins); the
  // entry remembers the value at the wave's start and the first writer, so conflicts and changes
  // come from the same single lookup
  const touched: Entry[] = []
  const appReports: AppRunReport[] = new Array(settled.length)
  let untimed = 0
  for (let i = 0; i < settled.length; i++) {
    const run = settled[i]!
    if (run.error !== undefined && run.app.critical) {
      // entries already merged do not matter: the draft is dropped with the call
      if (inspect) {
        const reports = settled.map((s) => appRunReport(s.app.name, s.durationMs, [], undefined, s.error))
        appsEnded(inspect, sessionId, wave, reports)
      }
      throw new TransformFailedError(run.app.name, `${run.error.kind}: ${run.error.message}`, run.error.cause)
    }
    const name = run.app.name
    const changed: string[] = []
    for (const { namespace, key, value, param } of run.writes) {
      const entry = draft.entry(namespace, key, param)
      if (entry.wave !== wave) {
        entry.wave = wave
        entry.before = entry.value
        entry.first = value
        entry.writer = name
        entry.writers = undefined
        entry.conflict = false
        touched.push(entry)
      } else {
        ;(entry.writers ??= [entry.writer]).push(name)
        if (!entry.conflict && !jsonEqual(entry.first, value)) entry.conflict = true
      }
      if (!jsonEqual(entry.before, value)) changed.push(entry.param)
      entry.value = value
    }
    appReports[i] = appRunReport(name, run.durationMs, changed, run.undeclared, run.error, run.cached)
    if (run.durationMs < 0) untimed++
  }
  const changes: Change[] = []
  const changedParams: string[] = []
  const conflicts: WriteConflict[] = []
  const ended = performance.now()
  if (untimed > 0) {
    // the untimed sync apps share the wave's time (up to the async apps' start, if any) equally
    const share = ((syncEnded ?? ended) - started) / untimed
    for (const report of appReports) if (report.durationMs < 0) (report as { durationMs: number }).durationMs = share
  }
  for (const entry of touched) {
    if (!jsonEqual(entry.before, entry.value)) {
      changes.push({ entry, before: entry.before, after: entry.value })
      changedParams.push(entry.param)
    }
    if (entry.conflict) conflicts.push({ param: entry.param, apps: entry.writers!, winner: entry.writers![entry.writers!.length - 1]! })
  }
  const report: WaveReport = {
    wave,
    kind,
    trigger,
    apps: appReports,
    changed: changedParams,
    conflicts,
    durationMs: ended - started,
  }
  if (inspect) waveEnded(inspect, sessionId, report)
  return { report, changes, ended }
}

/** The frozen input of one app: each declared namespace present, each declared param (or pattern match) that is set. */
function inputOf(app: CompiledApp, draft: Draft): unknown {
  const input: Record<string, Readonly<Record<string, JsonValue>>> = {}
  for (const { namespace, keys, prefixes } of app.inputGroups) {
    const values: Record<string, JsonValue> = {}
    for (let i = 0; i < keys.length; i++) {
      const value = draft.get(namespace, keys[i]!)
      if (value !== undefined) values[keys[i]!] = value
    }
    if (prefixes !== undefined) draft.collect(namespace, prefixes, values)
    input[namespace] = Object.freeze(values)
  }
  return Object.freeze(input)
}
