/**
 * VTEX's wire shape for session params: every param wrapped as `{ "value": ... }`, as VTEX's
 * Session Manager and its apps send and expect them. Both directions, strict: anything that is not
 * exactly that shape is refused, so a body in the plain shape never lands as `{ value }` objects.
 */
import { InvalidValueError, SessionflowError } from '../model/errors'
import type { JsonValue, Namespaces } from '../model/session'
import { DEFAULT_LIMITS, type Limits, asInvalidValue, checkValue, isPlainObject } from '../util/json'
import { nameProblem } from '../util/names'

/** One param on the VTEX wire. */
export interface VtexParam {
  readonly value: JsonValue
}

/** Namespaces on the VTEX wire: namespace -> key -> `{ value }`. */
export type VtexNamespaces = { readonly [namespace: string]: { readonly [key: string]: VtexParam } }

/** Wraps every param as `{ value }`. The result is a fresh plain object (not frozen). */
export function toVtexNamespaces(namespaces: Namespaces): VtexNamespaces {
  if (!isPlainObject(namespaces)) throw new InvalidValueError('toVtexNamespaces expects a namespaces object')
  const out: Record<string, Record<string, VtexParam>> = {}
  for (const ns of Object.keys(namespaces)) {
    const params = namespaces[ns]!
    const wrapped: Record<string, VtexParam> = {}
    for (const key of Object.keys(params)) wrapped[key] = { value: params[key]! }
    out[ns] = wrapped
  }
  return out
}

/**
 * Unwraps a VTEX-shaped body (`{ ns: { key: { value } } }`) into plain namespaces, checking
 * names and values (plain JSON within `limits`). Anything else — a bare value where `{ value }`
 * belongs, extra fields beside `value`, a non-object — is refused with `InvalidValueError`.
 */
export function fromVtexNamespaces(body: unknown, limits: Limits = DEFAULT_LIMITS): Namespaces {
  try {
    return unwrap(body, limits)
  } catch (error) {
    // an exotic object (a proxy whose traps throw) is bad input too: always a typed error
    throw error instanceof SessionflowError ? error : asInvalidValue(error, undefined)
  }
}

function unwrap(body: unknown, limits: Limits): Namespaces {
  if (!isPlainObject(body)) throw new InvalidValueError('a VTEX body must be an object of namespace -> { key: { "value": ... } }')
  const out: Record<string, Record<string, JsonValue>> = {}
  for (const ns of Object.keys(body)) {
    const nsProblem = nameProblem(ns)
    if (nsProblem !== undefined) throw new InvalidValueError(`namespace ${nsProblem}`, ns.slice(0, 200))
    const params = body[ns]
    if (!isPlainObject(params)) throw new InvalidValueError('must be an object of key -> { "value": ... }', ns)
    const plain: Record<string, JsonValue> = {}
    for (const key of Object.keys(params)) {
      const param = `${ns}.${key.slice(0, 200)}`
      const keyProblem = nameProblem(key)
      if (keyProblem !== undefined) throw new InvalidValueError(`key ${keyProblem}`, param)
      const wrapped = params[key]
      if (!isPlainObject(wrapped) || !Object.hasOwn(wrapped, 'value') || Object.keys(wrapped).length !== 1) {
        throw new InvalidValueError('expected { "value": ... } (the VTEX wire shape); is this a plain body?', param)
      }
      plain[key] = checkValue(wrapped.value, param, limits).value
    }
    out[ns] = plain
  }
  return out
}
