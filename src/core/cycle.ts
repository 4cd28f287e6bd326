import type { CompiledApp } from './app'
import type { Timers } from './clock'
import { Draft, setAt } from './draft'
import { TransformFailedError, TransformLoopError } from '../model/errors'
import type { AppGraph } from './graph'
import { type Limits, jsonEqual } from '../util/json'
import { jsonHash, stringHash } from '../util/json-hash'
import type { Operation } from '../model/operation'
import { type AppFailure, type CycleReport, type WaveReport, type WriteConflict, appRunReport } from '../model/report'
import type { JsonValue, Namespaces, Write } from '../model/session'
import { type Inspector, appsEnded, waveEnded } from '../features/inspect'
import { Output, type Settled, runApp, runInto } from './run-app'
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

/** What a run's report says besides its app, duration and changes (absent for a plain success). */
interface RunExtra {
  readonly undeclared: readonly string[] | undefined
  readonly error: AppFailure | undefined
  readonly cached: true | undefined
}

/**
 * The arrays a cycle logs into, reused cycle after cycle (kept with the pooled draft: one set per
 * cycle running at once), each created in its final elements kind.
 */
class LogArrays {
  readonly changeIds: number[] = [0]
  readonly changeBefore: Array<JsonValue | undefined> = [null]
  readonly changeAfter: Array<JsonValue | undefined> = [null]
  readonly changedIds: number[] = [0]
  readonly runNums: number[] = [0.5]
  readonly waveNums: number[] = [0.5]
  readonly waveObjs: Array<number | readonly string[] | readonly number[]> = [NO_TRIGGER]
  /** Where a synchronous app's output is read (one per running cycle: a nested cycle has its own set). */
  readonly out = new Output()
}

const NO_TRIGGER: readonly never[] = Object.freeze([])
const NO_VALUES: Array<JsonValue | undefined> = []

/** A trigger set that started several counted waves: those waves, of which `indexed` are in the state index. */
interface Repeats {
  readonly waves: number[]
  indexed: number
}

/**
 * What a cycle did, in flat logs of param ids and offsets (no object per wave, run or change):
 * the wave reports are built from it when first read, so a caller that never reads
 * `report.waves` never pays for their objects.
 */
class CycleLog {
  /**
   * Every change of the cycle (the call's own, then each wave's): param, value before and after;
   * the params each app run changed. While the cycle runs these are a finished cycle's arrays,
   * reused (growing them anew each cycle cost more than everything they log); `seal` leaves the
   * log copies of the right length, and the arrays to the next cycle.
   */
  changeIds!: number[]
  changeBefore!: Array<JsonValue | undefined>
  changeAfter!: Array<JsonValue | undefined>
  changedIds!: number[]
  /**
   * Per app run, in wave and `apps` order, two numbers: duration (-1: untimed) and the end of its
   * changes in `changedIds`. Per wave (index = wave - 1), four numbers — its first run, the end of
   * its changes in the change log (they start where the previous wave's end), its duration, and the
   * share of it each untimed sync app gets — and two objects: the one param (its id) whose change
   * triggered it or the triggering params' names (sorted), and its apps (indexes into the graph's).
   * Interleaved, not an array per field: sealing copies three arrays instead of eight (the copies
   * were 6 % of what a one-app stored patch allocated).
   */
  runNums!: number[]
  waveNums!: number[]
  waveObjs!: Array<number | readonly string[] | readonly number[]>
  /** How many of each the cycle logged. */
  changes = 0
  runs = 0
  changed = 0
  waveCount = 0
  /** The few runs whose report has more: undeclared writes, an error, a cache hit (by run index). */
  runExtras: Map<number, RunExtra> | undefined = undefined
  /** The call's own changes: the first `callChanges` of the change log. */
  callChanges = 0
  /** Whether the first wave is the create wave. */
  created = false
  waveConflicts: Map<number, WriteConflict[]> | undefined = undefined
  /** The running wave: its tick, its untimed runs, and the first critical app that failed in it. */
  tick = 0
  untimed = 0
  critical: { readonly app: CompiledApp; readonly error: AppFailure } | undefined = undefined
  /** Where a synchronous app's output is read: the pooled arrays' buffer, used only while the cycle runs. */
  out!: Output
  /** Names of the cycle's params that the graph does not declare. */
  extraNames: readonly string[] | undefined = undefined
  // made on the first report read: most cycles' reports are never read
  #reports: Array<WaveReport | undefined> | undefined = undefined
  #all: WaveReport[] | undefined = undefined

  constructor(
    readonly graph: AppGraph,
    arrays: LogArrays,
  ) {
    // field by field, not Object.assign: its generic copy was most of a log's cost in a one-app cycle
    this.changeIds = arrays.changeIds
    this.changeBefore = arrays.changeBefore
    this.changeAfter = arrays.changeAfter
    this.changedIds = arrays.changedIds
    this.runNums = arrays.runNums
    this.waveNums = arrays.waveNums
    this.waveObjs = arrays.waveObjs
    this.out = arrays.out
  }

  /** The longest of the pooled arrays the log writes into (before {@link seal}): what the draft keeps of them if pooled. */
  capacity(): number {
    return Math.max(this.changeIds.length, this.changedIds.length, this.runNums.length, this.waveNums.length)
  }

  /** The cycle ended: the log keeps copies of what it logged; its arrays stay with the draft, for the next cycle. */
  seal(): void {
    this.changeIds = this.changeIds.slice(0, this.changes)
    this.changedIds = this.changedIds.slice(0, this.changed)
    this.runNums = this.runNums.slice(0, 2 * this.runs)
    this.waveNums = this.waveNums.slice(0, 4 * this.waveCount)
    this.waveObjs = this.waveObjs.slice(0, 2 * this.waveCount)
    // only loop detection reads values, never the reports
    this.changeBefore = this.changeAfter = NO_VALUES
  }

  change(id: number, before: JsonValue | undefined, after: JsonValue | undefined): void {
    const c = this.changes++
    setAt(this.changeIds, c, id)
    setAt(this.changeBefore, c, before)
    setAt(this.changeAfter, c, after)
  }

  /** Logs a param an app changed (its run is logged next). */
  appChanged(id: number): void {
    setAt(this.changedIds, this.changed++, id)
  }

  run(durationMs: number, extra: RunExtra | undefined): void {
    const r = this.runs++
    if (extra !== undefined) (this.runExtras ??= new Map()).set(r, extra)
    setAt(this.runNums, 2 * r, durationMs)
    setAt(this.runNums, 2 * r + 1, this.changed)
  }

  /** Duration of run `r` (-1: untimed). */
  runDuration(r: number): number {
    return this.runNums[2 * r]!
  }

  /** The end of run `r`'s changes in `changedIds` (they start where the previous run's end). */
  runChangedTo(r: number): number {
    return r < 0 ? 0 : this.runNums[2 * r + 1]!
  }

  /** Starts the log of a wave (index `waveCount`). */
  wave(trigger: number | readonly string[], apps: readonly number[]): void {
    const w = this.waveCount++
    setAt(this.waveObjs, 2 * w, trigger)
    setAt(this.waveObjs, 2 * w + 1, apps)
    // its other three numbers are set by waveEnd; a wave that throws is never read
    setAt(this.waveNums, 4 * w, this.runs)
  }

  /** Ends the log of the last wave. */
  waveEnd(durationMs: number, share: number): void {
    const w = this.waveCount - 1
    setAt(this.waveNums, 4 * w + 1, this.changes)
    setAt(this.waveNums, 4 * w + 2, durationMs)
    setAt(this.waveNums, 4 * w + 3, share)
  }

  /** The first run of wave index `w`. */
  waveRuns(w: number): number {
    return this.waveNums[4 * w]!
  }

  /** The end of (finished) wave index `w`'s changes in the change log. */
  changesTo(w: number): number {
    return this.waveNums[4 * w + 1]!
  }

  /** The apps of wave index `w` (indexes into the graph's). */
  waveApps(w: number): readonly number[] {
    return this.waveObjs[2 * w + 1] as readonly number[]
  }

  /** Where the changes of (finished) wave index `w` start in the change log. */
  changesFrom(w: number): number {
    return w === 0 ? this.callChanges : this.changesTo(w - 1)
  }

  name(id: number): string {
    const names = this.graph.params.names
    return id < names.length ? names[id]! : this.extraNames![id - names.length]!
  }

  names(ids: readonly number[], from: number, to: number): string[] {
    const names: string[] = new Array(to - from)
    for (let i = from; i < to; i++) names[i - from] = this.name(ids[i]!)
    return names
  }

  reports(): WaveReport[] {
    if (this.#all === undefined) {
      const reports: WaveReport[] = new Array(this.waveCount)
      for (let w = 0; w < reports.length; w++) reports[w] = this.report(w)
      this.#all = reports
    }
    return this.#all
  }

  /** The report of finished wave index `w` (built once). */
  report(w: number): WaveReport {
    const built = (this.#reports ??= [])[w]
    if (built !== undefined) return built
    const apps = this.waveApps(w)
    const runs = this.waveRuns(w)
    const reports = new Array(apps.length)
    for (let i = 0; i < apps.length; i++) {
      const r = runs + i
      const duration = this.runDuration(r)
      const extra = this.runExtras?.get(r)
      const changed = this.names(this.changedIds, this.runChangedTo(r - 1), this.runChangedTo(r))
      reports[i] = appRunReport(this.graph.apps[apps[i]!]!.name, duration < 0 ? this.waveNums[4 * w + 3]! : duration, changed, extra?.undeclared, extra?.error, extra?.cached)
    }
    const report: WaveReport = {
      wave: w + 1,
      kind: w === 0 && this.created ? 'create' : 'changes',
      trigger: this.trigger(this.waveObjs[2 * w] as number | readonly string[]),
      apps: reports,
      changed: this.names(this.changeIds, this.changesFrom(w), this.changesTo(w)),
      conflicts: this.waveConflicts?.get(w) ?? [],
      durationMs: this.waveNums[4 * w + 2]!,
    }
    this.#reports![w] = report
    return report
  }

  trigger(trigger: number | readonly string[]): readonly string[] {
    return typeof trigger === 'number' ? [this.name(trigger)] : trigger
  }
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
  const table = graph.params
  // a finished cycle's draft is reused (its slots are stale by stamp); a failed one is dropped
  const draft = table.pool.pop() ?? new Draft(base, table)
  draft.begin(base)
  // the log's arrays travel with the pooled draft: both serve one running cycle at a time
  const log = new CycleLog(graph, (draft.logArrays ??= new LogArrays()) as LogArrays)
  for (const { namespace, key, value, param } of writes) {
    const id = draft.id(namespace, key, param)
    const before = draft.value(id)
    if (jsonEqual(before, value)) continue
    draft.write(id, value)
    log.change(id, before, value)
  }
  log.extraNames = draft.extraNames()
  log.callChanges = log.changes
  const trigger = log.names(log.changeIds, 0, log.changes)
  // a wave starts where the previous one ended: one clock read per wave boundary, not two
  let clock = started
  // the changes that trigger the next wave: [from, to) of the change log; after a create wave, the
  // call's (up to `initial`) and the create wave's, a param both changed counted once
  let from = 0
  let to = log.changes
  let initial = -1
  let counted = 0
  if (kind === 'create' && graph.onCreate.length > 0) {
    const created = runWave(settings, draft, log, graph.onCreate, 'create', [], 1, sessionId, clock, signal)
    clock = created instanceof Promise ? await (signal === undefined ? created : untilAborted(created, signal)) : created
    initial = to
    to = log.changes
    counted = 1
    log.created = true
  }
  // loop detection: (trigger set, state) pairs seen at the start of each counted wave (the log's
  // waves from `counted` on); trigger set -> the counted waves it started, of which `indexed` are
  // in `byState` (keyed by state hash and trigger set): a repeat can only be among the waves under
  // the same key there; the hash is a filter, the exact comparison decides. A trigger set seen once
  // is just its wave (most never repeat): a single param's in the draft, no map entry at all
  // made on first need: most cycles run one or two waves and never use them
  let seen: Map<number | string, number | Repeats> | undefined
  let byState: Map<string, number[]> | undefined
  let hashes: number[] | undefined
  for (;;) {
    // a wave boundary: an aborted call stops here, before another wave starts
    throwIfAborted(signal)
    const apps = triggered(draft, log, from, to, initial)
    if (apps.length === 0) break
    const params = nextTrigger
    const key = typeof params === 'number' ? params : params.join('\n')
    const now = log.waveCount - counted
    let repeats: number | Repeats | undefined
    if (typeof key === 'number' && draft.seen(key) < 0) draft.see(key, now)
    else if ((repeats = (seen ??= new Map()).get(key) ?? (typeof key === 'number' ? draft.seen(key) : undefined)) === undefined) seen.set(key, now)
    else {
      byState ??= new Map()
      hashes ??= [0]
      if (typeof repeats === 'number') seen.set(key, (repeats = { waves: [repeats], indexed: 0 }))
      for (; repeats.indexed < repeats.waves.length; repeats.indexed++) {
        const wave = repeats.waves[repeats.indexed]!
        const id = `${stateHash(draft, log, counted, hashes, wave)} ${key}`
        const same = byState.get(id)
        if (same === undefined) byState.set(id, [wave])
        else same.push(wave)
      }
      for (const i of byState.get(`${stateHash(draft, log, counted, hashes, now)} ${key}`) ?? []) {
        if (sameStateSince(draft, log, counted, i)) throw loopError(draft, log, counted, 'repeat', i)
      }
      repeats.waves.push(now)
    }
    if (now >= maxWaves) throw loopError(draft, log, counted, 'maxWaves', Math.max(0, now - 10))
    const ran = runWave(settings, draft, log, apps, 'changes', params, log.waveCount + 1, sessionId, clock, signal)
    clock = ran instanceof Promise ? await (signal === undefined ? ran : untilAborted(ran, signal)) : ran
    from = log.changesFrom(log.waveCount - 1)
    to = log.changes
    initial = -1
  }
  log.extraNames = draft.extraNames()
  const { namespaces, patch, changed, sizeDelta, largestNamespace, namespaceCount } = draft.finish()
  draft.release(log.capacity())
  log.seal()
  const report = new CycleSummary(kind, trigger, log, changed, performance.now() - started)
  return { namespaces, patch, sizeDelta, largestNamespace, namespaceCount, report }
}

/**
 * The cycle's report as the engine receives it: `waves` is a getter of the class, shared by every
 * instance (an own getter per report made V8 allocate an accessor pair per report in old space,
 * which kept each cycle alive through every scavenge). The engine turns it into the call's
 * {@link CycleReport}, whose `waves` is an own property read through to this one.
 */
class CycleSummary {
  readonly #log: CycleLog

  constructor(
    readonly kind: CycleReport['kind'],
    readonly trigger: readonly string[],
    log: CycleLog,
    readonly changed: readonly string[],
    readonly durationMs: number,
  ) {
    this.#log = log
  }

  /** The wave reports, built on first read. */
  get waves(): WaveReport[] {
    return this.#log.reports()
  }
}

/**
 * A hash of the state at the start of counted wave `wave` (at most the next to run), relative to
 * the state before the first: each change adds `h(param, after) - h(param, before)`, so equal
 * states hash alike. `hashes` caches them: filled on demand (once a trigger set repeats), each
 * change hashed once — amortized O(changes) per wave, however many waves ran.
 */
function stateHash(draft: Draft, log: CycleLog, counted: number, hashes: number[], wave: number): number {
  while (hashes.length <= wave) {
    let state = hashes[hashes.length - 1]!
    const w = counted + hashes.length - 1
    for (let c = log.changesFrom(w); c < log.changesTo(w); c++) {
      const param = stringHash(draft.name(log.changeIds[c]!), 5)
      const after = log.changeAfter[c]
      const before = log.changeBefore[c]
      state = (state + Math.imul(param ^ jsonHash(after), 0x9e3779b1) - Math.imul(param ^ jsonHash(before), 0x9e3779b1)) | 0
    }
    hashes.push(state)
  }
  return hashes[wave]!
}

/** The monitored params among the changes of the last {@link triggered} call: one param's id, or their names (sorted). */
let nextTrigger: number | readonly string[] = []
const NO_APPS: readonly number[] = Object.freeze([])

/**
 * Apps monitoring at least one of the changes `[from, to)` (ascending, read-only); the monitored
 * params among them go to `nextTrigger`. With `initial` >= 0, a change from `initial` on whose
 * param also changed before `initial` is skipped (the create wave's, after the call's own).
 */
function triggered(draft: Draft, log: CycleLog, from: number, to: number, initial: number): readonly number[] {
  let only: readonly number[] | undefined
  let apps: Set<number> | undefined
  let params: string[] | undefined
  let first = -1
  const tick = initial < 0 ? 0 : draft.wave()
  for (let c = from; c < to; c++) {
    const id = log.changeIds[c]!
    if (initial >= 0) {
      if (c < initial) draft.mark(id, tick)
      else if (draft.mark(id, tick)) continue
    }
    const list = draft.monitors(id)
    if (list === undefined) continue
    // one monitored change (a chain's common case): its index list is already ascending, no set needed
    if (first === -1) {
      first = id
      only = list
    } else {
      if (params === undefined) {
        params = [draft.name(first)]
        apps = new Set(only)
      }
      params.push(draft.name(id))
      for (const i of list) apps!.add(i)
    }
  }
  if (first === -1) return NO_APPS
  if (params === undefined) {
    nextTrigger = first
    return only!
  }
  nextTrigger = params.sort()
  return [...apps!].sort((a, b) => a - b)
}

/**
 * Whether the state now equals the state at the start of counted wave `i`. Only params changed
 * since then can differ, so it compares those against their value before their first change —
 * cost in proportion to what changed, and exact (no hash that could collide and stop a cycle that ends).
 */
function sameStateSince(draft: Draft, log: CycleLog, counted: number, i: number): boolean {
  const first = new Map<number, JsonValue | undefined>()
  for (let w = counted + i; w < log.waveCount; w++) {
    for (let c = log.changesFrom(w); c < log.changesTo(w); c++) if (!first.has(log.changeIds[c]!)) first.set(log.changeIds[c]!, log.changeBefore[c])
  }
  for (const [id, before] of first) if (!jsonEqual(before, draft.value(id))) return false
  return true
}

function loopError(draft: Draft, log: CycleLog, counted: number, reason: 'repeat' | 'maxWaves', from: number): TransformLoopError {
  const apps = new Set<string>()
  const params = new Set<string>()
  for (let w = counted + from; w < log.waveCount; w++) {
    for (const app of log.waveApps(w)) apps.add(log.graph.apps[app]!.name)
    for (let c = log.changesFrom(w); c < log.changesTo(w); c++) params.add(draft.name(log.changeIds[c]!))
  }
  return new TransformLoopError(reason, [...apps], [...params].sort(), log.waveCount - counted)
}

/**
 * Runs one wave: every app reads the snapshot taken at the wave's start (the draft keeps each
 * written param's value at the start), async ones run concurrently; outputs merge in `apps` order
 * — a synchronous app's as soon as it returns while no earlier app is pending, the rest once all
 * have settled — so the result never depends on which promise settled first. Returns the clock
 * reading at the wave's end.
 */
function runWave(
  settings: CycleSettings,
  draft: Draft,
  log: CycleLog,
  appIndexes: readonly number[],
  kind: WaveReport['kind'],
  trigger: number | readonly string[],
  wave: number,
  sessionId: string | undefined,
  started: number,
  signal: AbortSignal | undefined,
): number | Promise<number> {
  const { apps, firstOutput } = settings.graph
  const { limits, timers, inspect } = settings
  if (inspect) inspect({ type: 'wave:start', sessionId, wave, kind, trigger: log.trigger(trigger), apps: appIndexes.map((i) => apps[i]!.name) })
  const tick = draft.wave()
  log.wave(trigger, appIndexes)
  log.tick = tick
  log.untimed = 0
  log.critical = undefined
  const out = log.out
  let clock = started
  const timed = settings.timeApps === true || inspect !== undefined
  // every input is built from the same snapshot, so apps declaring the same inputs share one frozen
  // object: the first app's is kept aside (in a wide wave all apps often share it), others in a map
  let firstInput: unknown
  let firstId = -1
  let shared: Map<number, unknown> | undefined
  // from the first app that turns out async on, runs are merged once all have settled
  let deferred: Array<Settled | Promise<Settled>> | undefined
  for (let i = 0; i < appIndexes.length; i++) {
    const app = apps[appIndexes[i]!]!
    let input: unknown
    if (kind === 'create') input = app.emptyInput
    else if (i === 0) {
      input = firstInput = inputOf(app, draft, tick)
      firstId = app.inputId
    } else if (app.inputId === firstId) input = firstInput
    else {
      input = (shared ??= new Map()).get(app.inputId)
      if (input === undefined) shared.set(app.inputId, (input = inputOf(app, draft, tick)))
    }
    if (inspect) inspect({ type: 'app:start', sessionId, wave, app: app.name })
    if (deferred === undefined && app.cache === undefined && app.validators === undefined) {
      // the common case: the output is read into `out` and merged at once, no object per write
      const ran = runInto(app, input, sessionId, wave, limits, timers, timed ? clock : -1, signal, out)
      if (ran instanceof Promise) {
        deferred = [ran]
        if (timed) clock = performance.now()
        continue
      }
      let durationMs = -1
      if (timed) {
        // a sync app ends where the next one starts: one clock read per app instead of two
        const now = performance.now()
        durationMs = now - clock
        clock = now
      } else log.untimed++
      if (ran !== undefined) failedRun(log, app, durationMs, ran)
      else {
        if (log.critical === undefined) {
          const { locals, values } = out
          for (let k = 0; k < out.count; k++) {
            const local = locals[k]!
            const id = local === 0 ? firstOutput[appIndexes[i]!]! : app.outputIds[local]!
            if (draft.land(id, values[k], tick, app.name)) log.appChanged(id)
          }
        }
        log.run(durationMs, out.undeclared === undefined ? undefined : { undeclared: out.undeclared, error: undefined, cached: undefined })
      }
      continue
    }
    let run: Settled | Promise<Settled>
    if (app.cache !== undefined) {
      // a caching app is always timed: its report compares a hit with a miss
      run = settings.cache!.run(app, input, sessionId, wave, limits, timers, timed ? clock : performance.now())
    } else {
      // untimed (-1): the wave shares out its time
      run = runApp(app, input, sessionId, wave, limits, timers, timed ? clock : -1, signal)
    }
    if (timed) {
      if (run instanceof Promise) clock = performance.now()
      else clock += run.durationMs
    }
    if (deferred !== undefined || run instanceof Promise) (deferred ??= []).push(run)
    else merge(draft, log, run)
  }
  // a wave of sync apps settles without a promise: `await` on it would still cost a microtask per wave
  if (deferred === undefined) return endWave(settings, draft, log, sessionId, started, undefined)
  // untimed sync apps share the time up to here, not the async apps' wait; no read when there are
  // none (one async app, none before it: `deferred` holds from the first async app on)
  const syncEnded = timed || (log.untimed === 0 && deferred.length === 1) ? undefined : performance.now()
  // one async app (the common async wave): its own promise, without Promise.all's aggregate
  const only = deferred.length === 1 ? deferred[0]! : undefined
  if (only instanceof Promise) {
    return only.then((run) => {
      merge(draft, log, run)
      return endWave(settings, draft, log, sessionId, started, syncEnded)
    })
  }
  return Promise.all(deferred).then((settled) => {
    for (const run of settled) merge(draft, log, run)
    return endWave(settings, draft, log, sessionId, started, syncEnded)
  })
}

/** Logs a failed run; the first critical one fails the wave (its output, like any failed one's, is dropped). */
function failedRun(log: CycleLog, app: CompiledApp, durationMs: number, error: AppFailure): void {
  if (app.critical && log.critical === undefined) log.critical = { app, error }
  log.run(durationMs, { undeclared: undefined, error, cached: undefined })
}

/** Merges a settled run's writes (unless a critical app of the wave failed before it) and logs it. */
function merge(draft: Draft, log: CycleLog, run: Settled): void {
  if (run.durationMs < 0) log.untimed++
  if (run.error !== undefined) return failedRun(log, run.app, run.durationMs, run.error)
  if (log.critical === undefined) {
    const name = run.app.name
    for (const { namespace, key, value, param } of run.writes) {
      const id = draft.id(namespace, key, param)
      if (draft.land(id, value, log.tick, name)) log.appChanged(id)
    }
  }
  const extra = run.undeclared === undefined && run.cached === undefined ? undefined : { undeclared: run.undeclared, error: undefined, cached: run.cached }
  log.run(run.durationMs, extra)
}

/** The end of a wave, once every app has settled: a critical failure, or the wave's changes and conflicts. */
function endWave(
  settings: CycleSettings,
  draft: Draft,
  log: CycleLog,
  sessionId: string | undefined,
  started: number,
  syncEnded: number | undefined,
): number {
  const inspect = settings.inspect
  const w = log.waveCount - 1
  if (log.critical !== undefined) {
    const { app, error } = log.critical
    if (inspect) {
      // the draft is dropped with the call: the wave merged nothing
      const runs = log.waveRuns(w)
      const reports = log.waveApps(w).map((a, i) => appRunReport(log.graph.apps[a]!.name, log.runDuration(runs + i), [], undefined, log.runExtras?.get(runs + i)?.error))
      appsEnded(inspect, sessionId, w + 1, reports)
    }
    throw new TransformFailedError(app.name, `${error.kind}: ${error.message}`, error.cause)
  }
  const ended = performance.now()
  let conflicts: WriteConflict[] | undefined
  for (let i = 0; i < draft.touchedCount; i++) {
    const id = draft.touched(i)
    const before = draft.before(id)
    const after = draft.value(id)
    if (!jsonEqual(before, after)) log.change(id, before, after)
    const writers = draft.conflict(id)
    if (writers !== undefined) (conflicts ??= []).push({ param: draft.name(id), apps: writers, winner: writers[writers.length - 1]! })
  }
  if (conflicts !== undefined) (log.waveConflicts ??= new Map()).set(w, conflicts)
  // the untimed sync apps share the wave's time (up to the async apps' start, if any) equally
  log.waveEnd(ended - started, log.untimed > 0 ? ((syncEnded ?? ended) - started) / log.untimed : 0)
  if (inspect) {
    log.extraNames = draft.extraNames()
    waveEnded(inspect, sessionId, log.report(w))
  }
  return ended
}

/** The frozen input of one app: each declared namespace present, each declared param (or pattern match) set at the wave's start. */
function inputOf(app: CompiledApp, draft: Draft, tick: number): unknown {
  const input = new app.inputRecord() as Record<string, Readonly<Record<string, JsonValue>>>
  for (const { namespace, keys, ids, prefixes, record } of app.inputGroups) {
    const values = new record()
    for (let i = 0; i < keys.length; i++) {
      const value = draft.snapshot(ids[i]!, tick)
      if (value !== undefined) values[keys[i]!] = value
    }
    if (prefixes !== undefined) draft.collect(namespace, prefixes, values, tick)
    input[namespace] = Object.freeze(values)
  }
  return Object.freeze(input)
}
