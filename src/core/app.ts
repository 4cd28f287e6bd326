import { ConfigError } from '../model/errors'
import { nameProblem } from '../util/names'
import { isPlainObject } from '../util/json'
import { integerOption, msOption } from '../util/config-values'
import type { CachePolicy } from './transform-cache'
import type { SessionValidator } from '../features/schema'
import type { JsonValue, Namespaces } from '../model/session'
import type { DeclarationFor, IsUntyped, KnownParams, SessionSchema, ValueOf } from '../features/typed'

/**
 * Declared params: namespace -> keys, e.g. `{ public: ['country', 'postalCode'] }`. In `input`
 * only, a key ending in `*` is a pattern: `{ cookie: ['VtexIdclientAutCookie_*'] }` monitors (and
 * receives) every param of the namespace whose key starts with the prefix; `'*'` alone, all of them.
 */
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
 * each declared param that is set in the session. Frozen. Reading a param that is not declared
 * is a type error; values take their type from the session schema `S` when one is given.
 */
export type AppInput<I extends ParamDeclaration, S = Namespaces> = {
  readonly [N in keyof I]: { readonly [K in I[N][number] as InputKey<K>]?: ValueOf<S, N, K> }
}

/** The property a declared input key gives: itself, or for a pattern `'prefix*'` every key starting with `prefix`. */
type InputKey<K extends string> = K extends `${infer P}*` ? `${P}${string}` : K

/**
 * What a transform may return: a partial object of its declared outputs. A param set to
 * `undefined` is deleted. Returning `undefined` (or `{}`) writes nothing.
 */
export type AppOutput<O extends ParamDeclaration, S = Namespaces> = {
  [N in keyof O]?: { [K in O[N][number]]?: ValueOf<S, N, K> | undefined }
}

/** Everything a transform may return: its output, nothing, or a promise of either. */
export type AppResult<O extends ParamDeclaration, S = Namespaces> =
  | AppOutput<O, S>
  | undefined
  | void
  | Promise<AppOutput<O, S> | undefined | void>

/**
 * Maps every key of a returned object that `O` does not declare to `never`. WHY: TypeScript does
 * not run excess-property checks on the nested object literals a function returns, so without
 * this `{ checkout: { regionId, nope: 1 } }` would type-check and the write would only be dropped
 * (and reported as undeclared) at runtime.
 */
export type ExactOutput<R, O extends ParamDeclaration> =
  R extends PromiseLike<infer P>
    ? PromiseLike<ExactOutput<P, O>>
    : R extends object
      ? { [N in keyof R]: string extends N ? R[N] : N extends keyof O ? ExactParams<R[N], O[N][number]> : never }
      : R

// a computed key (`{ [name]: v }`) has type `string`: it cannot be checked statically, so it is let through
type ExactParams<T, Keys> = T extends object ? { [K in keyof T]: string extends K ? T[K] : K extends Keys ? T[K] : never } : T

/** An app's configuration, as given to {@link defineApp}. */
export interface AppConfig<
  I extends ParamDeclaration = ParamDeclaration,
  O extends ParamDeclaration = ParamDeclaration,
  S = Namespaces,
> {
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
  /**
   * Declares the transform pure in its inputs: its result is cached per engine, keyed by the
   * canonical JSON of its input, and shared by all sessions; concurrent runs with the same input
   * share one call. Failures and timeouts are never cached. `maxEntries` (default 1000) bounds the
   * engine's in-memory cache for this app.
   */
  readonly cache?: { readonly ttlMs: number; readonly maxEntries?: number }
  /**
   * Computes outputs from inputs; sync or async. (Method syntax on purpose: it makes any app
   * assignable to a plain `App`, so lists of different apps type-check.)
   */
  transform(input: AppInput<I, S>, ctx: TransformContext): AppResult<O, S>
}

/**
 * What an engine typed by schema `S` accepts as an app: one whose inputs and outputs are params of
 * `S` (any app for the untyped default).
 */
export type AppFor<S> = IsUntyped<S> extends true ? App<any, any, any> : App<DeclarationFor<S, true> & ParamDeclaration, DeclarationFor<S> & ParamDeclaration, any>

/** An app as {@link defineApp} returns it: its configuration, checked and frozen. */
export type App<I extends ParamDeclaration = ParamDeclaration, O extends ParamDeclaration = ParamDeclaration, S = Namespaces> = Readonly<
  AppConfig<I, O, S>
>

/**
 * What {@link defineApp} accepts: an {@link AppConfig} whose transform's return type `R` is
 * inferred and checked key by key against `output` ({@link ExactOutput}).
 */
export type StrictAppConfig<I extends ParamDeclaration, O extends ParamDeclaration, S, R> = Omit<
  AppConfig<I, O, S>,
  'transform' | 'input' | 'output'
> & {
  /** Params the app monitors; under a session schema, each must be a param of the schema. */
  readonly input?: I & KnownParams<I, S, true>
  /** Params the app may write; under a session schema, each must be a param of the schema. */
  readonly output?: O & KnownParams<O, S>
  /** Computes outputs from inputs; sync or async. Returning an undeclared param is a type error. */
  readonly transform: (input: AppInput<I, S>, ctx: TransformContext) => R & ExactOutput<R, O>
}

/** The signature of {@link defineApp} for a session schema `S` (see {@link defineAppFor}). */
export type DefineApp<S = Namespaces> = <
  const I extends ParamDeclaration = {},
  const O extends ParamDeclaration = {},
  R extends AppResult<O, S> = AppResult<O, S>,
>(
  config: StrictAppConfig<I, O, S, R>,
) => App<I, O, S>

/**
 * Declares an app. Checks the configuration (throws `ConfigError` naming the app and the problem)
 * and infers the transform's input and output types from `input` and `output`: reading an
 * undeclared param or returning one is a type error.
 */
export const defineApp: DefineApp = (config) => {
  compileApp(config as unknown as AppConfig, 0)
  return Object.freeze({ ...config }) as never
}

/**
 * `defineApp` for a session schema `S` (a type such as `{ public: { country: 'DE' | 'US' } }`,
 * or `InferSchema<typeof validators>`): inputs and outputs take their value types from `S`.
 *
 * ```ts
 * const defineApp = defineAppFor<MySchema>()
 * ```
 */
export function defineAppFor<S extends SessionSchema>(): DefineApp<S> {
  return defineApp as unknown as DefineApp<S>
}

/** The engine's internal form of an app: indexes and flags resolved once at construction. */
export interface CompiledApp {
  readonly index: number
  readonly name: string
  readonly inputs: ReadonlyArray<readonly [namespace: string, key: string]>
  readonly inputNamespaces: readonly string[]
  readonly outputs: ReadonlyMap<string, ReadonlySet<string>>
  /** namespace -> key -> index in `outputList`: one lookup per write, no name built. */
  readonly outputParams: ReadonlyMap<string, ReadonlyMap<string, number>>
  /** The declared output params, in declaration order. */
  readonly outputList: readonly OutputParam[]
  /**
   * The first declared output param's namespace, that namespace's `outputParams` entry, and its
   * key: most apps write one namespace, many one param, found without a map lookup.
   */
  readonly outputNamespace: string | undefined
  readonly outputKeys: ReadonlyMap<string, number> | undefined
  readonly outputKey: string | undefined
  /** Graph-wide id of each of `outputList` (set by the graph; empty for a lone app). */
  readonly outputIds: readonly number[]
  /** Same for every app declaring the same inputs: apps of a wave with equal keys share one frozen input. */
  readonly inputKey: string
  /** Small integer per distinct `inputKey` within a graph (set by the graph; 0 for a lone app). */
  readonly inputId: number
  /**
   * The inputs by namespace, in declaration order: exact keys with each param's `namespace.key`
   * built once, and the prefixes of the namespace's patterns (`undefined` when it has none).
   */
  readonly inputGroups: ReadonlyArray<InputGroup>
  /** Makes the app's input object. */
  readonly inputRecord: RecordMaker
  readonly runOnCreate: boolean
  readonly timeoutMs: number | undefined
  readonly critical: boolean
  /** The app's `cache` option with defaults filled in; `undefined` when it does not cache. */
  readonly cache: CachePolicy | undefined
  readonly transform: AppConfig['transform']
  /** Shared frozen input for the create wave: declared namespaces, no params. */
  readonly emptyInput: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>
  /** The engine's `schema`, when it validates one of the app's output params; absent otherwise. */
  readonly validators: SessionValidator | undefined
}

/** One declared output param. */
export interface OutputParam {
  readonly namespace: string
  readonly key: string
  /** `namespace.key` */
  readonly param: string
}

/** One namespace of an app's inputs. */
export interface InputGroup {
  readonly namespace: string
  /** Exact keys, their `namespace.key`, and their graph-wide ids (set by the graph; empty for a lone app). */
  readonly keys: readonly string[]
  readonly params: readonly string[]
  readonly ids: readonly number[]
  /** Prefixes of the pattern keys (`'VtexIdclientAutCookie_'` for `'VtexIdclientAutCookie_*'`); `undefined`: none. */
  readonly prefixes: readonly string[] | undefined
  /** Makes the namespace's input object. */
  readonly record: RecordMaker
}

/** A constructor of empty plain objects (prototype `Object.prototype`), of one input shape. */
export type RecordMaker = new () => Record<string, JsonValue>

/**
 * A constructor of its own for the objects of one input shape. Objects made by it are ordinary
 * plain objects (`Object.prototype`, no own `constructor`), but V8 gives them a map family of
 * their own: a cycle filling in `{}` made V8 search, on every store, the transitions of the one
 * map every empty object literal in the process starts from — about a tenth of a 300-wave chain.
 */
function recordMaker(): RecordMaker {
  const maker = function (): void {} as unknown as RecordMaker
  maker.prototype = Object.prototype
  return maker
}

/** Whether `key` starts with one of `prefixes`: the one test of an input pattern. */
export function matchesPrefix(prefixes: readonly string[], key: string): boolean {
  for (let i = 0; i < prefixes.length; i++) if (key.startsWith(prefixes[i]!)) return true
  return false
}

/** Longest app timeout, ms: timers take at most 2^31 - 1 (a longer one fires at once). */
export const MAX_TIMEOUT_MS = 2_147_483_647

const KNOWN_KEYS = new Set(['name', 'input', 'output', 'runOnCreate', 'timeoutMs', 'critical', 'cache', 'transform'])

/** Checks one app's configuration and resolves it; throws `ConfigError`. */
export function compileApp(
  config: AppConfig,
  index: number,
  defaultTimeoutMs?: number,
  validators?: SessionValidator,
): CompiledApp {
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
  const timeoutMs = msOption(config.timeoutMs, defaultTimeoutMs, 'timeoutMs', MAX_TIMEOUT_MS, name)
  const inputs = declaredParams(config.input, 'input', name, true)
  const outputs = new Map<string, Set<string>>()
  for (const [ns, key] of declaredParams(config.output, 'output', name)) {
    let keys = outputs.get(ns)
    if (keys === undefined) outputs.set(ns, (keys = new Set()))
    keys.add(key)
  }
  // a namespace declared with no keys is still declared: writes into it are undeclared writes, not invalid output
  for (const ns of Object.keys(config.output ?? {})) if (!outputs.has(ns)) outputs.set(ns, new Set())
  // every declared namespace, even one listing no keys: the input type promises it is present
  const inputNamespaces = config.input === undefined ? [] : Object.keys(config.input)
  const emptyInput = Object.freeze(Object.fromEntries(inputNamespaces.map((ns) => [ns, Object.freeze({})])))
  // only apps with a validated output check their outputs; the others skip the check entirely
  let own: SessionValidator | undefined
  if (validators !== undefined) {
    for (const [ns, keys] of outputs) for (const key of keys) if (validators.covers(`${ns}.${key}`)) own = validators
  }
  const inputGroups = inputNamespaces.map((namespace): InputGroup => {
    const declared = inputs.filter(([ns]) => ns === namespace).map(([, key]) => key)
    const keys = declared.filter((key) => !key.endsWith('*'))
    const prefixes = declared.filter((key) => key.endsWith('*')).map((key) => key.slice(0, -1))
    return { namespace, keys, params: keys.map((key) => `${namespace}.${key}`), ids: [], prefixes: prefixes.length > 0 ? prefixes : undefined, record: recordMaker() }
  })
  const outputParams = new Map<string, Map<string, number>>()
  const outputList: OutputParam[] = []
  for (const [ns, keys] of outputs) {
    const byKey = new Map<string, number>()
    outputParams.set(ns, byKey)
    for (const key of keys) byKey.set(key, outputList.push({ namespace: ns, key, param: `${ns}.${key}` }) - 1)
  }
  return {
    index,
    name,
    inputs,
    inputNamespaces,
    outputs,
    outputParams,
    outputList,
    outputNamespace: outputList[0]?.namespace,
    outputKeys: outputList.length === 0 ? undefined : outputParams.get(outputList[0]!.namespace),
    outputKey: outputList[0]?.key,
    outputIds: [],
    inputKey: JSON.stringify([inputNamespaces, inputs]),
    inputId: 0,
    inputGroups,
    inputRecord: recordMaker(),
    runOnCreate: config.runOnCreate === true,
    timeoutMs,
    critical: config.critical === true,
    cache: cachePolicy(config.cache, name),
    transform: config.transform,
    emptyInput,
    validators: own,
  }
}

const DEFAULT_CACHE_ENTRIES = 1_000

function cachePolicy(option: unknown, app: string): CachePolicy | undefined {
  if (option === undefined) return undefined
  if (!isPlainObject(option)) throw new ConfigError('cache must be an object { ttlMs, maxEntries? }', app)
  for (const key of Object.keys(option)) if (key !== 'ttlMs' && key !== 'maxEntries') throw new ConfigError(`unknown cache option "${key}"`, app)
  return Object.freeze({
    // required: an absent ttlMs is checked as NaN, which the check refuses with its usual message
    ttlMs: msOption(option.ttlMs ?? Number.NaN, 0, 'cache.ttlMs', undefined, app),
    maxEntries: integerOption(option.maxEntries, DEFAULT_CACHE_ENTRIES, 'cache.maxEntries', 1, undefined, app),
  })
}

/** The declared `[namespace, key]` pairs; with `patterns`, a key may be `prefix*` (checked as a name without its `*`). */
function declaredParams(declaration: unknown, what: string, app: string, patterns = false): Array<[string, string]> {
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
      const pattern = patterns && typeof key === 'string' && key.endsWith('*')
      // '*' alone (every key) has an empty prefix; a prefix must otherwise be a valid name
      const keyProblem = pattern ? (key === '*' ? undefined : nameProblem(key.slice(0, -1))) : nameProblem(key)
      if (keyProblem !== undefined) throw new ConfigError(`${what} key in "${String(ns)}" ${keyProblem}`, app)
      const param = `${String(ns)}.${key as string}`
      if (seen.has(param)) throw new ConfigError(`${what} declares ${param} twice`, app)
      seen.add(param)
      params.push([ns as string, key as string])
    }
  }
  return params
}
