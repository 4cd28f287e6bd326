import type { Operation } from './operation'
import type { Namespaces, Session } from './session'

/** Why an app's output was dropped. */
export type AppFailureKind = 'threw' | 'rejected' | 'invalid-output' | 'timeout'

/** What went wrong in one app run: in reports, inspection events and the testing kit alike. */
export interface AppFailure {
  readonly kind: AppFailureKind
  readonly message: string
  /** What the transform threw or rejected with, or the validator issues' error. */
  readonly cause?: unknown
  /** The HTTP status a remote app answered, when the failure is one (a `RemoteAppError` with a status). */
  readonly status?: number
}

/** One app run within a wave. */
export interface AppRunReport {
  /** The app's name. */
  readonly app: string
  /** `'ok'`: output merged (possibly with undeclared writes dropped); `'failed'`: output dropped. */
  readonly status: 'ok' | 'failed'
  /**
   * Wall time from start to settle (or to the timeout), ms. A synchronous app gets an equal share
   * of its wave's time unless the engine's `timing` is `'app'` or an inspector is attached.
   */
  readonly durationMs: number
  /** Params this app wrote with a value other than the wave's snapshot (`ns.key`). */
  readonly changed: readonly string[]
  /** Writes outside the app's `output` declaration; they never land. */
  readonly undeclared?: readonly string[]
  /** What went wrong, when `status` is `'failed'`. */
  readonly error?: AppFailure
  /** The output came from the app's `cache` (or from a concurrent run with the same input): the transform did not run. */
  readonly cached?: true
}

/**
 * Builds one {@link AppRunReport}; the one builder shared by the wave reports and the inspection
 * events, so both always carry the same fields (optional ones only when set).
 */
export function appRunReport(
  app: string,
  durationMs: number,
  changed: readonly string[],
  undeclared: readonly string[] | undefined,
  error: AppFailure | undefined,
  cached?: boolean,
): AppRunReport {
  const report: { -readonly [K in keyof AppRunReport]: AppRunReport[K] } = {
    app,
    status: error === undefined ? 'ok' : 'failed',
    durationMs,
    changed,
  }
  if (undeclared !== undefined) report.undeclared = undeclared
  if (error !== undefined) report.error = error
  if (cached === true) report.cached = true
  return report
}

/** Two or more apps of one wave wrote different values to one param; the later app in `apps` order won. */
export interface WriteConflict {
  readonly param: string
  /** Writers in engine `apps` order. */
  readonly apps: readonly string[]
  /** The app whose value landed (the last writer in `apps` order). */
  readonly winner: string
}

/** One wave of a cycle. */
export interface WaveReport {
  /** 1-based wave number within the cycle. */
  readonly wave: number
  /** `'create'` for the create wave, `'changes'` for a wave triggered by changed params. */
  readonly kind: 'create' | 'changes'
  /** The monitored params whose change triggered this wave (empty for the create wave). */
  readonly trigger: readonly string[]
  /** The apps that ran, in engine `apps` order. */
  readonly apps: readonly AppRunReport[]
  /** Params whose value the wave changed. */
  readonly changed: readonly string[]
  /** Params written with different values by several apps. */
  readonly conflicts: readonly WriteConflict[]
  /** Wall time of the wave, ms. */
  readonly durationMs: number
}

/** What a call did: its waves and their apps, and what changed overall. */
export interface CycleReport {
  /** Which call produced it. */
  readonly kind: 'create' | 'patch' | 'transform'
  /** Params the call's own changes (initial params, client or host changes) changed. */
  readonly trigger: readonly string[]
  /** The waves, in order. */
  readonly waves: readonly WaveReport[]
  /** Every param whose value differs between the previous and the new namespaces. */
  readonly changed: readonly string[]
  /** Wall time of the cycle, ms. */
  readonly durationMs: number
  /** Stateful calls: how many times the cycle ran (more than 1 after compare-and-set conflicts). */
  readonly attempts: number
  /**
   * Whether a param of the engine's `segment` option changed (so the segment token did): the host
   * re-issues the segment cookie. Always `false` without a `segment` option. On `create` it is
   * relative to an empty session: `true` when any segment param is set.
   */
  readonly segmentChanged: boolean
}

/** Returns the object it is given, so that a subclass's private fields are stamped onto that object. */
class Stamp {
  constructor(object: object) {
    return object
  }
}

/** Where a report's `waves` come from, kept in a private field of the report: invisible to keys, JSON, spread and clones. */
class WavesSource extends Stamp {
  readonly #source: { readonly waves: readonly WaveReport[] }

  constructor(report: object, source: { readonly waves: readonly WaveReport[] }) {
    super(report)
    this.#source = source
  }

  static read(report: object): readonly WaveReport[] {
    return (report as WavesSource).#source.waves
  }
}

/**
 * The `waves` accessor every report shares. A `get waves()` in each report literal made V8
 * allocate an accessor pair per report directly in old space, and that pair kept the report's
 * closure — and through it the whole cycle — alive through every scavenge: a stored patch spent
 * about 45 % of its time in GC and ran at 0.6x. One shared pair costs nothing per report.
 * Assigning `waves` replaces it with a data property, as on a plain object.
 */
const WAVES: PropertyDescriptor = {
  get(this: object): readonly WaveReport[] {
    return WavesSource.read(this)
  },
  set(this: object, waves: readonly WaveReport[]): void {
    Object.defineProperty(this, 'waves', { value: waves, writable: true, enumerable: true, configurable: true })
  },
  enumerable: true,
  configurable: true,
}

/** Gives `report` its `waves`: own and enumerable, read from `source` (built there when first read). */
function defineWaves(report: object, source: { readonly waves: readonly WaveReport[] }): void {
  Object.defineProperty(report, 'waves', WAVES)
  new WavesSource(report, source)
}

/**
 * A call's {@link CycleReport} from its cycle's report and the call's own fields. `waves` is read
 * through: a cycle builds its wave reports only when they are first read, and a call whose caller
 * never looks at them never pays for them (the content is the same either way; like a data
 * property, it can be assigned).
 */
export function cycleReport(
  cycle: Omit<CycleReport, 'attempts' | 'segmentChanged'>,
  attempts: number,
  segmentChanged: boolean,
): CycleReport {
  // built in key order (kind, trigger, waves, ...): what JSON and spreads of a report show
  const report = { kind: cycle.kind, trigger: cycle.trigger } as { -readonly [K in keyof CycleReport]: CycleReport[K] }
  defineWaves(report, cycle)
  report.changed = cycle.changed
  report.durationMs = cycle.durationMs
  report.attempts = attempts
  report.segmentChanged = segmentChanged
  return report
}

/** Result of the pure API (`runCreate`, `runTransform`). */
export interface PureResult<N = Namespaces> {
  /** The new namespaces, deeply frozen. */
  readonly namespaces: N
  /** RFC 6902 patch from the previous namespaces to the new ones. */
  readonly patch: readonly Operation[]
  /** What the cycle did. */
  readonly report: CycleReport
}

/** Result of a stateful call (`create`, `patch`, `touch`...). */
export interface SessionResult<S = Session> {
  /** The saved session (or the unchanged one when nothing changed). */
  readonly session: S
  /** RFC 6902 patch from the previous namespaces to the new ones. */
  readonly patch: readonly Operation[]
  /** What the cycle did. */
  readonly report: CycleReport
}
