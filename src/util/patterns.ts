import { InvalidValueError } from '../model/errors'
import { nameProblem } from './names'
import { readList } from './json'
import type { JsonValue, Namespace, Namespaces } from '../model/session'

/**
 * A compiled param pattern: `*` (everything), `ns.*` (a namespace), `ns.key` (one param) or
 * `ns.prefix*` (keys starting with prefix, e.g. `public.utm_*`).
 */
export interface ParamPattern {
  /** The pattern as written. */
  readonly source: string
  /** Whether the param `namespace.key` matches. */
  matches(namespace: string, key: string): boolean
  /** Whether some key of `namespace` can match (lets callers skip whole namespaces). */
  coversNamespace(namespace: string): boolean
}

/** Compiles one pattern; throws `InvalidValueError` when it is malformed. */
export function compilePattern(source: unknown): ParamPattern {
  if (typeof source !== 'string') throw new InvalidValueError(`a param pattern must be a string, got ${typeof source}`)
  if (source === '*') return { source, matches: () => true, coversNamespace: () => true }
  const dot = source.indexOf('.')
  const namespace = dot < 0 ? source : source.slice(0, dot)
  const problem = nameProblem(namespace)
  if (dot < 0 || problem !== undefined) {
    throw new InvalidValueError(`param pattern "${source.slice(0, 200)}" must be "*", "ns.*", "ns.key" or "ns.prefix*"`)
  }
  const key = source.slice(dot + 1)
  const coversNamespace = (ns: string) => ns === namespace
  if (key === '*') return { source, matches: coversNamespace, coversNamespace }
  const star = key.endsWith('*')
  const name = star ? key.slice(0, -1) : key
  if (nameProblem(name) !== undefined) {
    throw new InvalidValueError(`param pattern "${source.slice(0, 200)}" has an invalid key part`)
  }
  return star
    ? { source, matches: (ns, k) => ns === namespace && k.startsWith(name), coversNamespace }
    : { source, matches: (ns, k) => ns === namespace && k === name, coversNamespace }
}

/** Compiles a list of patterns into one matcher; throws `InvalidValueError` on a malformed list. */
export function compilePatterns(sources: unknown, maxPatterns = 256): ParamPattern {
  const patterns = readList(sources, maxPatterns, 'param patterns').map(compilePattern)
  return {
    source: patterns.map((p) => p.source).join(','),
    matches: (ns, k) => patterns.some((p) => p.matches(ns, k)),
    coversNamespace: (ns) => patterns.some((p) => p.coversNamespace(ns)),
  }
}

/** The params of `namespaces` that `filter` matches, as new frozen namespaces (namespaces left empty are omitted). */
export function selectParams(namespaces: Namespaces, filter: ParamPattern): Namespaces {
  const selected: Record<string, Namespace> = {}
  for (const ns of Object.keys(namespaces)) {
    if (!filter.coversNamespace(ns)) continue
    const params = namespaces[ns]!
    const out: Record<string, JsonValue> = {}
    let any = false
    for (const key of Object.keys(params)) {
      if (filter.matches(ns, key)) {
        out[key] = params[key]!
        any = true
      }
    }
    if (any) selected[ns] = Object.freeze(out)
  }
  return Object.freeze(selected)
}
