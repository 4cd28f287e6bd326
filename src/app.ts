import { ConfigError } from './errors'
import { nameProblem } from './param'
import type { JsonValue } from './session'

/** Declared params: namespace -> keys, e.g. `{ public: ['country', 'postalCode'] }`. */
export type ParamDeclaration = { readonly [namespace: string]: readonly string[] }

/** What a transform receives besides its input. */
export interface TransformContext {
  /** Aborted when the app's `timeoutMs` elapses; never aborted for apps without a timeout. */
  readonly signal: AbortSignal
  /** The session being worked on; `undefined` in pure runs (`runCreate`, `runTransform`). */
  readonly sessionId: string | undefined
  /** The app's name. */
  readonly app: string
  /** 1-based wave number within the cycle (the create wave is wave 1 of a create). */
  readonly wave: number
}

/**
 * The input a transform receives: every declared namespace is present (possibly empty), and
 * each declared param that is set in the session. Frozen.
 */
export type AppInput<I extends ParamDeclaration> = {
  readonly [N in keyof I]: { readonly [K in I[N][number]]?: JsonValue }
}

/**
 * What a transform may return: a partial object of its declared outputs. A param set to
 * `undefined` is deleted. Returning `undefined` (or `{}`) writes nothing.
 */
export type AppOutput<O extends ParamDeclaration> = {
  [N in keyof O]?: { [K in O[N][number]]?: JsonValue | undefined }
}

/** An app's configuration, as given to {@link defineApp}. */
export interface AppConfig<I extends ParamDeclaration = ParamDeclaration, O extends ParamDeclaration = ParamDeclaration> {
  /** Unique name, used in reports and errors. */
  readonly name: string
  /** Params the app monitors: when one changes, the app runs. */
  readonly input?: I
  /** Params the app may write. Writes elsewhere never land and are reported. */
  readonly output?: O
  /** Run in the create wave with an empty input. Default `false`. */
  readonly runOnCreate?: boolean
  /** Aborts `ctx.signal` and drops the result after this many ms. Default: the engine's `timeoutMs`. */
  readonly timeoutMs?: number
  /** A failure fails the whole call (`TransformFailedError`) instead of being isolated. Default `false`. */
  readonly critical?: boolean
  /** Computes outputs from inputs; sync or async. */
  readonly transform: (
    input: AppInput<I>,
    ctx: TransformContext,
  ) => AppOutput<O> | undefined | void | Promise<AppOutput<O> | undefined | void>
}

/** An app as {@link defineApp} returns it: its configuration, checked and frozen. */
export type App<I extends ParamDeclaration = ParamDeclaration, O extends ParamDeclaration = ParamDeclaration> = Readonly<
  AppConfig<I, O>
>

/**
 * Declares an app. Checks the configuration (throws `ConfigError` naming the app and the problem)
 * and infers the transform's input and output types from `input` and `output`.
 */
export function defineApp<const I extends ParamDeclaration = {}, const O extends ParamDeclaration = {}>(
  config: AppConfig<I, O>,
): App<I, O> {
  compileApp(config as unknown as AppConfig, 0)
  return Object.freeze({ ...config })
}

/** The engine's internal form of an app: indexes and flags resolved once at construction. */
export interface CompiledApp {
  readonly index: number
  readonly name: string
  readonly inputs: ReadonlyArray<readonly [namespace: string, key: string]>
  readonly inputNamespaces: readonly string[]
  readonly outputs: ReadonlyMap<string, ReadonlySet<string>>
  readonly runOnCreate: boolean
  readonly timeoutMs: number | undefined
  readonly critical: boolean
  readonly transform: AppConfig['transform']
  /** Shared frozen input for the create wave: declared namespaces, no params. */
  readonly emptyInput: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>
}

const KNOWN_KEYS = new Set(['name', 'input', 'output', 'runOnCreate', 'timeoutMs', 'critical', 'transform'])

/** Checks one app's configuration and resolves it; throws `ConfigError`. */
export function compileApp(config: AppConfig, index: number, defaultTimeoutMs?: number): CompiledApp {
  if (typeof config !== 'object' || config === null) throw new ConfigError(`app #${index} must be an object`)
  const name = config.name
  if (typeof name !== 'string' || name.length === 0) throw new ConfigError(`app #${index} needs a non-empty string name`)
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`unknown option "${key}"`, name)
  }
  if (typeof config.transform !== 'function') throw new ConfigError('transform must be a function', name)
  for (const flag of ['runOnCreate', 'critical'] as const) {
    if (config[flag] !== undefined && typeof config[flag] !== 'boolean') throw new ConfigError(`${flag} must be a boolean`, name)
  }
  const timeoutMs = config.timeoutMs ?? defaultTimeoutMs
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2_147_483_647)) {
    throw new ConfigError('timeoutMs must be a number > 0 and < 2^31', name)
  }
  const inputs = declaredParams(config.input, 'input', name)
  const outputs = new Map<string, Set<string>>()
  for (const [ns, key] of declaredParams(config.output, 'output', name)) {
    let keys = outputs.get(ns)
    if (keys === undefined) outputs.set(ns, (keys = new Set()))
    keys.add(key)
  }
  const inputNamespaces = [...new Set(inputs.map(([ns]) => ns))]
  const emptyInput = Object.freeze(Object.fromEntries(inputNamespaces.map((ns) => [ns, Object.freeze({})])))
  return {
    index,
    name,
    inputs,
    inputNamespaces,
    outputs,
    runOnCreate: config.runOnCreate === true,
    timeoutMs,
    critical: config.critical === true,
    transform: config.transform,
    emptyInput,
  }
}

function declaredParams(declaration: unknown, what: string, app: string): Array<[string, string]> {
  if (declaration === undefined) return []
  if (typeof declaration !== 'object' || declaration === null || Array.isArray(declaration)) {
    throw new ConfigError(`${what} must be an object of namespace -> array of keys`, app)
  }
  const params: Array<[string, string]> = []
  const seen = new Set<string>()
  for (const ns of Reflect.ownKeys(declaration)) {
    const nsProblem = nameProblem(ns)
    if (nsProblem !== undefined) throw new ConfigError(`${what} namespace ${nsProblem}`, app)
    const keys = (declaration as Record<string, unknown>)[ns as string]
    if (!Array.isArray(keys)) throw new ConfigError(`${what}.${String(ns)} must be an array of keys`, app)
    for (const key of keys) {
      const keyProblem = nameProblem(key)
      if (keyProblem !== undefined) throw new ConfigError(`${what} key in "${String(ns)}" ${keyProblem}`, app)
      const param = `${String(ns)}.${key as string}`
      if (seen.has(param)) throw new ConfigError(`${what} declares ${param} twice`, app)
      seen.add(param)
      params.push([ns as string, key as string])
    }
  }
  return params
}
