import { decodeBase64url, encodeBase64url } from '../util/base64url'
import { ConfigError, InvalidValueError } from '../model/errors'
import { DEFAULT_LIMITS, checkValue, isPlainObject } from '../util/json'
import { nameProblem } from '../util/names'
import { compilePattern } from '../util/patterns'
import type { JsonValue, Namespace, Namespaces } from '../model/session'

/** The options of {@link segmentBy}: which params make up a visitor's segment. */
export interface SegmentOptions {
  /**
   * Params whose values decide what a page shows and so key a shared (CDN) cache:
   * `'store.currencyCode'`, `'store.*'`, `'public.utm_*'`. `'*'` is refused: the segment travels
   * in a readable cookie and must never carry the whole session.
   */
  readonly params: readonly string[]
}

/** A session's segment and its token. */
export interface SegmentResult {
  /** The configured params that are set, by namespace (deeply frozen); `{}` when none is set. */
  readonly segment: Namespaces
  /**
   * Base64url of the canonical JSON of `segment` (keys sorted at every level). Equal segments give
   * the same token whatever the order their params were written in; {@link decodeSegmentToken}
   * reads it back. Not signed: anyone can read or forge it, so it is a cache key, not a credential.
   */
  readonly token: string
  /**
   * The segment in the shape its consumers read, when that is not `segment` (VTEX's flat object
   * for `vtexSegment()`); `GET /api/segments` of `sessionflow/http` answers it when set.
   */
  readonly view?: { readonly [key: string]: JsonValue }
}

/**
 * What the engine's `segment` option is: computes a session's segment and its token. Made by
 * {@link segmentBy} (params of the session) or `vtexSegment()` of `sessionflow/vtex`, or written
 * by hand. `of` may throw `InvalidValueError` (a segment it refuses to encode): the engine then
 * refuses the write that would produce it, so a session never holds a segment that cannot be issued.
 */
export interface Segmenter {
  /** The segment of these namespaces and its token (the cookie value). */
  of(namespaces: Namespaces): SegmentResult
  /** Whether a change of these params (`ns.key`) may change the segment. */
  touchedBy(changed: readonly string[]): boolean
}

/**
 * The engine's `segment` option made of params of the session:
 * `segment: segmentBy({ params: ['store.currencyCode', 'public.utm_*'] })`. Throws `ConfigError`
 * when `params` is empty, holds `'*'` or a malformed pattern.
 */
export function segmentBy(options: SegmentOptions): Segmenter {
  return new SegmentSpec(options)
}

/** Per-namespace rules compiled from the patterns, so a lookup costs one map access per param. */
interface NamespaceRule {
  all: boolean
  readonly keys: Set<string>
  readonly prefixes: string[]
}

/** A segment made of params ({@link segmentBy}): extracts segments and tells whether changed params touch it. */
export class SegmentSpec implements Segmenter {
  readonly #rules = new Map<string, NamespaceRule>()
  /** Sessions are immutable: one namespaces object always has the same segment. */
  readonly #cache = new WeakMap<Namespaces, SegmentResult>()

  /** Checks the option; throws `ConfigError` saying what is wrong. */
  constructor(options: SegmentOptions) {
    if (typeof options !== 'object' || options === null) throw new ConfigError('segment must be an object { params: [...] }')
    const { params } = options
    if (!Array.isArray(params) || params.length === 0) {
      throw new ConfigError('segment.params must be a non-empty array of param patterns')
    }
    if (params.length > 256) throw new ConfigError('segment.params accepts at most 256 patterns')
    for (const source of params as unknown[]) {
      if (source === '*') throw new ConfigError('segment.params: "*" would put the whole session in the segment; list the params')
      try {
        compilePattern(source)
      } catch (error) {
        throw new ConfigError(`segment.params: ${error instanceof Error ? error.message : String(error)}`)
      }
      const text = source as string
      const dot = text.indexOf('.')
      const ns = text.slice(0, dot)
      const key = text.slice(dot + 1)
      let rule = this.#rules.get(ns)
      if (rule === undefined) this.#rules.set(ns, (rule = { all: false, keys: new Set(), prefixes: [] }))
      if (key === '*') rule.all = true
      else if (key.endsWith('*')) rule.prefixes.push(key.slice(0, -1))
      else rule.keys.add(key)
    }
  }

  /** Whether the param is part of the segment. */
  covers(namespace: string, key: string): boolean {
    const rule = this.#rules.get(namespace)
    return rule !== undefined && matches(rule, key)
  }

  /**
   * Whether any of `changed` (`ns.key` params, e.g. a cycle report's `changed`) is a segment
   * param: cost in proportion to the changed params, not to the session.
   */
  touchedBy(changed: readonly string[]): boolean {
    for (const param of changed) {
      const dot = param.indexOf('.')
      if (this.covers(param.slice(0, dot), param.slice(dot + 1))) return true
    }
    return false
  }

  /** The segment of `namespaces` and its token. */
  of(namespaces: Namespaces): SegmentResult {
    const cached = this.#cache.get(namespaces)
    if (cached !== undefined) return cached
    const segment: Record<string, Namespace> = {}
    for (const [ns, rule] of this.#rules) {
      const params = Object.hasOwn(namespaces, ns) ? namespaces[ns] : undefined
      if (params === undefined) continue
      const out: Record<string, JsonValue> = {}
      let any = false
      if (rule.all || rule.prefixes.length > 0) {
        for (const key of Object.keys(params)) {
          if (matches(rule, key)) {
            out[key] = params[key]!
            any = true
          }
        }
      } else {
        for (const key of rule.keys) {
          if (Object.hasOwn(params, key)) {
            out[key] = params[key]!
            any = true
          }
        }
      }
      // values are the session's own frozen values: sharing them is safe
      if (any) segment[ns] = Object.freeze(out)
    }
    const result: SegmentResult = Object.freeze({ segment: Object.freeze(segment), token: encodeSegmentToken(segment) })
    this.#cache.set(namespaces, result)
    return result
  }
}

function matches(rule: NamespaceRule, key: string): boolean {
  if (rule.all || rule.keys.has(key)) return true
  for (const prefix of rule.prefixes) if (key.startsWith(prefix)) return true
  return false
}

const encoder = new TextEncoder()

/** The token of a segment: base64url of its UTF-8 canonical JSON (keys sorted at every level). */
export function encodeSegmentToken(segment: Namespaces): string {
  return encodeBase64url(encoder.encode(canonicalJson(segment)))
}

/**
 * Reads a segment token back into `{ ns: { key: value } }` (deeply frozen). Returns `undefined`
 * for anything that is not exactly what the engine produces — malformed base64url or UTF-8,
 * non-JSON, a wrong shape, reserved names, or a non-canonical encoding of a valid segment — so
 * one segment has one token and a CDN cannot be made to cache one segment under many keys.
 * Never throws. The token is not signed: treat its content as client input.
 */
export function decodeSegmentToken(token: unknown): Namespaces | undefined {
  if (typeof token !== 'string' || token.length > 4 * DEFAULT_LIMITS.maxSessionBytes) return undefined
  const bytes = decodeBase64url(token)
  if (bytes === undefined) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
  } catch {
    return undefined
  }
  if (!isPlainObject(parsed)) return undefined
  const segment: Record<string, Namespace> = {}
  for (const [ns, params] of Object.entries(parsed)) {
    if (nameProblem(ns) !== undefined || !isPlainObject(params)) return undefined
    const keys = Object.keys(params)
    // the engine never emits an empty namespace; accepting one would give a second token for a segment
    if (keys.length === 0) return undefined
    const out: Record<string, JsonValue> = {}
    for (const key of keys) {
      if (nameProblem(key) !== undefined) return undefined
      try {
        out[key] = checkValue((params as Record<string, unknown>)[key], `${ns}.${key}`, DEFAULT_LIMITS).value
      } catch (error) {
        if (error instanceof InvalidValueError) return undefined
        throw error
      }
    }
    segment[ns] = Object.freeze(out)
  }
  // canonical form only: key order, whitespace, escapes and number spellings must be the engine's
  return encodeSegmentToken(segment) === token ? Object.freeze(segment) : undefined
}

/** JSON with object keys sorted (by UTF-16 code units) at every level; arrays keep their order. */
function canonicalJson(value: JsonValue): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const object = value as { readonly [key: string]: JsonValue }
  const keys = Object.keys(object).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ','
    out += `${JSON.stringify(keys[i])}:${canonicalJson(object[keys[i]!]!)}`
  }
  return `${out}}`
}
