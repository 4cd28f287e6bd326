import { type AppConfig, type CompiledApp, compileApp } from './app'
import { type ParamTable, paramTable } from './draft'
import { ConfigError } from '../model/errors'
import type { SessionValidator } from '../features/schema'

/** Who monitors a param: `namespace.key` -> indexes of the apps monitoring it, ascending; `undefined`: none. */
export interface MonitorIndex {
  get(param: string): readonly number[] | undefined
}

/**
 * The app graph, indexed once at construction so that a wave costs in proportion to the apps it
 * triggers, never to the number of apps registered.
 */
export interface AppGraph {
  readonly apps: readonly CompiledApp[]
  /** Apps monitoring each param, exactly or through an input pattern. */
  readonly monitors: MonitorIndex
  /** Indexes of the `runOnCreate` apps, ascending. */
  readonly onCreate: readonly number[]
  /** The declared params, interned to ids (the apps' `outputIds` and input `ids` index it). */
  readonly params: ParamTable
  /**
   * Each app's first `outputIds` entry (-1: none), in one packed array: a wave reads it in app
   * order instead of reaching each app's own array, a cache miss per app in a wide wave (which
   * then took 0.88x the time, side by side: 12 processes, each below 1).
   */
  readonly firstOutput: readonly number[]
}

/**
 * Compiles and indexes the apps; throws `ConfigError` on duplicates or a bad app. `validators`
 * (the engine's `schema`) are handed to the apps that write params they validate.
 */
export function buildGraph(
  configs: readonly AppConfig[],
  defaultTimeoutMs?: number,
  validators?: SessionValidator,
): AppGraph {
  if (!Array.isArray(configs)) throw new ConfigError('apps must be an array')
  const names = new Set<string>()
  const monitors = new Map<string, number[]>()
  // namespace -> prefix -> apps monitoring `namespace.prefix*`
  const patterns = new Map<string, Map<string, number[]>>()
  // apps declaring the same inputs share an input id, so a wave builds their frozen input once
  const inputIds = new Map<string, number>()
  // every declared exact param gets an id, in order of first declaration
  const ids = new Map<string, number>()
  const keys: string[] = []
  const spaces: number[] = []
  const spaceIds = new Map<string, number>()
  const intern = (namespace: string, key: string, param: string): number => {
    let id = ids.get(param)
    if (id !== undefined) return id
    let space = spaceIds.get(namespace)
    if (space === undefined) spaceIds.set(namespace, (space = spaceIds.size))
    ids.set(param, (id = ids.size))
    keys.push(key)
    spaces.push(space)
    return id
  }
  const apps = configs.map((config, index): CompiledApp => {
    const app = compileApp(config, index, defaultTimeoutMs, validators)
    if (names.has(app.name)) throw new ConfigError('duplicate app name', app.name)
    names.add(app.name)
    for (const { namespace, params, prefixes } of app.inputGroups) {
      for (const param of params) push(monitors, param, index)
      if (prefixes === undefined) continue
      let byPrefix = patterns.get(namespace)
      if (byPrefix === undefined) patterns.set(namespace, (byPrefix = new Map()))
      for (const prefix of prefixes) push(byPrefix, prefix, index)
    }
    let inputId = inputIds.get(app.inputKey)
    if (inputId === undefined) inputIds.set(app.inputKey, (inputId = inputIds.size))
    const inputGroups = app.inputGroups.map((group) => ({ ...group, ids: group.keys.map((key, i) => intern(group.namespace, key, group.params[i]!)) }))
    const outputIds = app.outputList.map(({ namespace, key, param }) => intern(namespace, key, param))
    return { ...app, inputId, inputGroups, outputIds }
  })
  // without patterns the exact map is the index itself: the common graph pays nothing for them
  const index: MonitorIndex = patterns.size === 0 ? monitors : new PatternMonitors(monitors, patterns)
  const params = [...ids.keys()]
  const table = paramTable(params, keys, spaces, params.map((name) => index.get(name)), [...spaceIds.keys()], index)
  const firstOutput: number[] = []
  for (const app of apps) firstOutput.push(app.outputIds.length === 0 ? -1 : app.outputIds[0]!)
  return { apps, monitors: index, onCreate: apps.filter((a) => a.runOnCreate).map((a) => a.index), params: table, firstOutput }
}

function push<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [index])
  // an app is visited once, in order: the list stays ascending and free of repeats
  else if (list[list.length - 1] !== index) list.push(index)
}

/** Bound on the per-param cache: param names come from clients, so the cache must not grow with them. */
const CACHE_SIZE = 4096

/**
 * The monitor index of a graph with input patterns: a param's first lookup costs one test per
 * pattern of its namespace (never per app or per namespace) besides the exact-name lookup; then
 * the answer is cached, so every later lookup is one map access.
 */
class PatternMonitors implements MonitorIndex {
  readonly #exact: ReadonlyMap<string, readonly number[]>
  readonly #patterns: ReadonlyMap<string, ReadonlyArray<readonly [prefix: string, apps: readonly number[]]>>
  readonly #cache = new Map<string, readonly number[]>()

  constructor(exact: ReadonlyMap<string, readonly number[]>, patterns: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>) {
    this.#exact = exact
    this.#patterns = new Map([...patterns].map(([ns, byPrefix]) => [ns, [...byPrefix]]))
  }

  get(param: string): readonly number[] | undefined {
    // once asked, any param is one lookup (the answer `none` stands for no app)
    const cached = this.#cache.get(param)
    if (cached !== undefined) return cached === NONE ? undefined : cached
    const dot = param.indexOf('.')
    const exact = this.#exact.get(param)
    const patterns = this.#patterns.get(param.slice(0, dot))
    let result = exact
    if (patterns !== undefined) {
      const key = param.slice(dot + 1)
      let apps: Set<number> | undefined
      for (const [prefix, list] of patterns) {
        if (!key.startsWith(prefix)) continue
        apps ??= new Set(exact)
        for (const i of list) apps.add(i)
      }
      if (apps !== undefined) result = [...apps].sort((a, b) => a - b)
    }
    if (this.#cache.size >= CACHE_SIZE) this.#cache.clear()
    this.#cache.set(param, result ?? NONE)
    return result
  }
}

/** The cached answer "no app monitors it" (a map cannot tell a stored `undefined` from a missing key in one lookup). */
const NONE: readonly number[] = Object.freeze([])
