/** Params in bodies, in the configured wire shape: VTEX's `{ "value": ... }` per param, or bare values. */
import { InvalidValueError } from '../model/errors'
import type { Namespaces } from '../model/session'
import { type Limits, isPlainObject } from '../util/json'
import { fromVtexNamespaces, toVtexNamespaces } from '../vtex/wire'
import type { Wire } from './options'

/**
 * A request body's namespaces in plain form (`{}` for an empty body). The VTEX shape is unwrapped
 * strictly; a plain body holding a VTEX-shaped param (an object whose only field is `value`) is
 * refused, so neither shape is ever stored as the other.
 */
export function readNamespaces(body: unknown, wire: Wire, limits: Limits): Namespaces {
  if (body === undefined) return {}
  if (wire === 'vtex') return fromVtexNamespaces(body, limits)
  if (!isPlainObject(body)) throw new InvalidValueError('the body must be an object of namespace -> { key: value }')
  for (const ns of Object.keys(body)) {
    const params = body[ns]
    if (!isPlainObject(params)) continue // the engine says what is wrong with it
    for (const key of Object.keys(params)) {
      const value = params[key]
      if (isPlainObject(value) && Object.keys(value).length === 1 && Object.hasOwn(value, 'value')) {
        throw new InvalidValueError('this endpoint takes bare values ({ "key": "BR" }), not the VTEX shape ({ "key": { "value": "BR" } })', `${ns}.${key}`)
      }
    }
  }
  return body as Namespaces
}

/** Namespaces as a response body carries them. */
export function writeNamespaces(namespaces: Namespaces, wire: Wire): unknown {
  return wire === 'vtex' ? toVtexNamespaces(namespaces) : namespaces
}
