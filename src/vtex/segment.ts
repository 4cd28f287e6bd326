/**
 * VTEX's segment (`vtex_segment` cookie): standard base64 of a flat JSON object with fixed keys,
 * unset ones `null`, which page scripts read with `JSON.parse(atob(value))`.
 */
import { ConfigError, InvalidValueError } from '../model/errors'
import type { JsonValue, Namespace, Namespaces } from '../model/session'
import type { SegmentResult, Segmenter } from '../features/segment'
import { DEFAULT_LIMITS, checkValue, isPlainObject } from '../util/json'
import { integerOption } from '../util/config-values'
import { RESERVED_NAMES, nameProblem } from '../util/names'

/** VTEX's segment keys, in the order the segment lists them. */
export const VTEX_SEGMENT_KEYS = Object.freeze([
  'channel',
  'priceTables',
  'regionId',
  'utm_campaign',
  'utm_source',
  'utmi_campaign',
  'currencyCode',
  'currencySymbol',
  'countryCode',
  'cultureInfo',
  'channelPrivacy',
  'campaigns',
] as const)

/** One of {@link VTEX_SEGMENT_KEYS}. */
export type VtexSegmentKey = (typeof VTEX_SEGMENT_KEYS)[number]

/** The session param (`ns.key`) each segment key is read from unless `vtexSegment({ params })` says otherwise. */
export const DEFAULT_VTEX_SEGMENT_PARAMS: Readonly<Record<VtexSegmentKey, string>> = Object.freeze({
  channel: 'store.channel',
  priceTables: 'profile.priceTables',
  regionId: 'checkout.regionId',
  utm_campaign: 'public.utm_campaign',
  utm_source: 'public.utm_source',
  utmi_campaign: 'public.utmi_campaign',
  currencyCode: 'store.currencyCode',
  currencySymbol: 'store.currencySymbol',
  countryCode: 'store.countryCode',
  cultureInfo: 'store.cultureInfo',
  channelPrivacy: 'store.channelPrivacy',
  campaigns: 'campaigns.active',
})

/** A decoded VTEX segment: the flat object, segment key -> value (`null` when unset). */
export type VtexSegment = { readonly [key: string]: JsonValue }

/** Options of {@link vtexSegment}. */
export interface VtexSegmentOptions {
  /**
   * Segment key -> the session param it is read from (`'store.channel'`), merged over
   * {@link DEFAULT_VTEX_SEGMENT_PARAMS}; `null` keeps the key but always `null`. Keys VTEX does not
   * have are added after VTEX's, in this object's key order.
   */
  readonly params?: { readonly [segmentKey: string]: string | null }
  /** Most characters (bytes: the token is ASCII) of the token. A larger segment is refused, never cut. Default 2048. */
  readonly maxBytes?: number
}

/** Default size limit of a VTEX segment token, bytes. */
export const DEFAULT_VTEX_SEGMENT_MAX_BYTES = 2_048

/**
 * A value for the engine's `segment` option making `engine.segmentOf(session).token` VTEX's
 * segment: standard base64 of the flat JSON object, keys in VTEX's order, `null` for unset ones.
 * The JSON is pure ASCII (other characters as `\uXXXX` escapes), so `JSON.parse(atob(token))`
 * gives back every value exactly, whatever its script. A segment over `maxBytes` throws
 * `InvalidValueError`, and the engine refuses the write that would produce it.
 */
export function vtexSegment(options: VtexSegmentOptions = {}): Segmenter {
  if (typeof options !== 'object' || options === null) throw new ConfigError('vtexSegment options must be an object')
  for (const key of Object.keys(options)) {
    if (key !== 'params' && key !== 'maxBytes') throw new ConfigError(`vtexSegment: unknown option "${key}"`)
  }
  const maxBytes = integerOption(options.maxBytes, DEFAULT_VTEX_SEGMENT_MAX_BYTES, 'vtexSegment: maxBytes')
  const given = options.params ?? {}
  if (!isPlainObject(given)) throw new ConfigError('vtexSegment: params must be an object of segment key -> "ns.key"')
  // a Map, not an object: its order is insertion order even for keys like "1"
  const mapping = new Map<string, string | null>(Object.entries(DEFAULT_VTEX_SEGMENT_PARAMS))
  for (const [key, param] of Object.entries(given)) {
    const problem = nameProblem(key)
    if (problem !== undefined) throw new ConfigError(`vtexSegment: segment key ${problem}`)
    mapping.set(key, param === null ? null : checkParam(param, key))
  }
  const fields = [...mapping].map(([key, param]) => compileField(key, param))
  const params = new Set(fields.flatMap((f) => (f.param === undefined ? [] : [f.param])))
  const cache = new WeakMap<Namespaces, SegmentResult>()
  return Object.freeze({
    of(namespaces: Namespaces): SegmentResult {
      const cached = cache.get(namespaces)
      if (cached !== undefined) return cached
      // the JSON is written field by field so the key order is the fields' order, always
      let json = ''
      const segment: Record<string, Record<string, JsonValue>> = {}
      for (const { key, namespace, name } of fields) {
        const params = namespace === undefined || !Object.hasOwn(namespaces, namespace) ? undefined : namespaces[namespace]
        const value = params !== undefined && Object.hasOwn(params, name!) ? params[name!]! : undefined
        json += `${json === '' ? '{' : ','}${JSON.stringify(key)}:${JSON.stringify(value ?? null)}`
        if (value !== undefined) (segment[namespace!] ??= {})[name!] = value
      }
      const token = btoa(ascii(`${json}}`))
      if (token.length > maxBytes) {
        throw new InvalidValueError(`the VTEX segment would be ${token.length} bytes, over its maxBytes (${maxBytes}); it is never truncated`)
      }
      for (const ns of Object.keys(segment)) Object.freeze(segment[ns])
      // values are the session's own frozen values: sharing them is safe
      // the flat object page scripts read from the cookie, for routes that answer the segment
      const view = Object.freeze(JSON.parse(`${json}}`) as Record<string, JsonValue>)
      const result: SegmentResult = Object.freeze({ segment: Object.freeze(segment as Record<string, Namespace>), token, view })
      cache.set(namespaces, result)
      return result
    },
    touchedBy(changed: readonly string[]): boolean {
      for (const param of changed) if (params.has(param)) return true
      return false
    },
  })
}

/**
 * Reads a VTEX segment cookie value (`atob`, then UTF-8 — so a segment written by VTEX or by
 * {@link vtexSegment} reads the same — then JSON) into the flat object, deeply frozen. Returns
 * `undefined` for anything else: not base64, not UTF-8, not a JSON object, values that are not
 * plain JSON. Never throws. The value is not signed: treat it as client input.
 */
export function decodeVtexSegment(value: unknown): VtexSegment | undefined {
  if (typeof value !== 'string' || value.length > 4 * DEFAULT_LIMITS.maxSessionBytes) return undefined
  let parsed: unknown
  try {
    const binary = atob(value)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes))
  } catch {
    return undefined
  }
  if (!isPlainObject(parsed)) return undefined
  const out: Record<string, JsonValue> = {}
  for (const key of Object.keys(parsed)) {
    if (RESERVED_NAMES.has(key)) return undefined
    try {
      out[key] = checkValue(parsed[key], key, DEFAULT_LIMITS).value
    } catch {
      return undefined
    }
  }
  return Object.freeze(out)
}

interface Field {
  readonly key: string
  readonly param: string | undefined
  readonly namespace: string | undefined
  readonly name: string | undefined
}

function compileField(key: string, param: string | null): Field {
  if (param === null) return { key, param: undefined, namespace: undefined, name: undefined }
  const dot = param.indexOf('.')
  return { key, param, namespace: param.slice(0, dot), name: param.slice(dot + 1) }
}

function checkParam(param: unknown, key: string): string {
  const text = typeof param === 'string' ? param : ''
  const dot = text.indexOf('.')
  if (dot < 0 || nameProblem(text.slice(0, dot)) !== undefined || nameProblem(text.slice(dot + 1)) !== undefined) {
    throw new ConfigError(`vtexSegment: params.${key} must be a param "namespace.key" or null`)
  }
  return text
}

/** JSON text with every non-ASCII character escaped (`\uXXXX`): `btoa` takes it as is, and `JSON.parse(atob(...))` restores it. */
function ascii(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
